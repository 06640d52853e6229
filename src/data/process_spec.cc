// ParseProcessSpec: the YAML of a `kind: process` step → ProcessSpec. Every
// error comes from SpecReader, so it reads "spec.yaml:LINE: steps/0/…: …".
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "data/dataset_prep.h"
#include "data/internal/split.h"
#include "data/internal/transforms.h"

namespace citadel::data {
namespace {

// SpecReader::ExpectObject takes a fixed list; the step's list is ours plus
// the caller's, so the same check and message are spelled out here.
Status ExpectStepFields(const SpecReader& step,
                        std::initializer_list<std::string_view> extra_known) {
  static constexpr std::string_view kOwn[] = {"name", "kind", "input", "transforms", "split"};
  if (!step.json().is_object()) return step.Error("expected a mapping for the step");
  for (const auto& [key, unused] : step.json().items()) {
    bool known = std::find(std::begin(kOwn), std::end(kOwn), key) != std::end(kOwn) ||
                 std::find(extra_known.begin(), extra_known.end(), key) != extra_known.end();
    if (known) continue;
    std::string names;
    for (std::string_view k : kOwn) names += fmt::format("{}{}", names.empty() ? "" : ", ", k);
    for (std::string_view k : extra_known) names += fmt::format(", {}", k);
    return step.FieldError(key, fmt::format("unknown field '{}' (known fields: {})", key, names));
  }
  return Status::Ok();
}

Status ParseInput(const SpecReader& input, const std::filesystem::path& spec_dir,
                  ProcessSpec& out) {
  RETURN_IF_ERROR(input.ExpectObject({"csv", "label", "header", "delimiter"}));
  ASSIGN_OR_RETURN(std::string csv, input.String("csv"));
  if (csv.empty()) return input.FieldError("csv", "the path is empty");
  std::filesystem::path path(csv);
  out.csv = path.is_absolute() ? path : spec_dir / path;

  if (!input.Has("label")) {
    return input.FieldError("label",
                            "required field 'label' is missing (a column name, or an "
                            "index such as -1 for the last column)");
  }
  const Json& label = input.json()["label"];
  if (label.is_string() && !label.get<std::string>().empty()) {
    out.label = label.get<std::string>();
  } else if (label.is_number_integer()) {
    out.label = std::to_string(label.get<int64_t>());
  } else {
    return input.FieldError("label", fmt::format("expected a column name or an integer index, "
                                                 "got {}",
                                                 label.dump()));
  }

  if (input.Has("header")) {
    const Json& header = input.json()["header"];
    if (header.is_boolean()) {
      out.csv_options.header =
          header.get<bool>() ? CsvOptions::Header::kPresent : CsvOptions::Header::kAbsent;
    } else if (!(header.is_string() && header.get<std::string>() == "auto")) {
      return input.FieldError(
          "header", fmt::format("expected true, false or \"auto\", got {}", header.dump()));
    }
  }
  ASSIGN_OR_RETURN(std::string delimiter, input.String("delimiter", ","));
  if (delimiter.size() != 1 || delimiter == "\"" || delimiter == "\n" || delimiter == "\r") {
    return input.FieldError("delimiter", fmt::format("expected one character other than a quote "
                                                     "or line break, got '{}'",
                                                     delimiter));
  }
  out.csv_options.delimiter = delimiter[0];
  return Status::Ok();
}

Result<TransformSpec> ParseTransform(const SpecReader& item) {
  if (!item.json().is_object()) return item.Error("expected a mapping such as { op: standardize }");
  ASSIGN_OR_RETURN(std::string op, item.String("op"));
  TransformSpec t;
  t.op = op;
  if (op == kDropDuplicates) {
    RETURN_IF_ERROR(item.ExpectObject({"op"}));
    return t;
  }
  if (op != kStandardize) {
    return item.FieldError("op", fmt::format("unknown op '{}' (supported ops: {}, {})", op,
                                             kDropDuplicates, kStandardize));
  }
  RETURN_IF_ERROR(item.ExpectObject({"op", "columns"}));
  if (!item.Has("columns")) return t;
  const Json& columns = item.json()["columns"];
  if (columns.is_string() && columns.get<std::string>() == "all_numeric") return t;
  if (!columns.is_array()) {
    return item.FieldError("columns", fmt::format("expected all_numeric or a list of column "
                                                  "names, got {}",
                                                  columns.dump()));
  }
  ASSIGN_OR_RETURN(t.columns, item.StringList("columns"));
  if (t.columns.empty()) return item.FieldError("columns", "the list is empty");
  t.all_numeric = false;
  return t;
}

bool IsSplitName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

Status ParseSplit(const SpecReader& split, const std::string& label, SplitSpec& out) {
  if (!split.json().is_object()) {
    return split.Error("expected a mapping such as { train: 0.8, test: 0.2, seed: 7 }");
  }
  ASSIGN_OR_RETURN(int64_t seed, split.Int("seed", 0, std::numeric_limits<int64_t>::max(), 0));
  out.seed = static_cast<uint64_t>(seed);
  if (split.Has("stratify")) {
    const Json& stratify = split.json()["stratify"];
    if (stratify.is_boolean()) {
      out.stratify = stratify.get<bool>();
    } else if (stratify.is_string() && stratify.get<std::string>() == label) {
      out.stratify = true;
    } else {
      return split.FieldError(
          "stratify", fmt::format("expected true, false or the label column '{}', got {}; only "
                                  "stratifying by the label is supported",
                                  label, stratify.dump()));
    }
  }
  double sum = 0;
  // Json objects iterate in key order, so splits come out sorted by name.
  for (const auto& [name, unused] : split.json().items()) {
    if (name == "seed" || name == "stratify") continue;
    if (!IsSplitName(name)) {
      return split.FieldError(name, "a split name may hold only letters, digits, '_' and '-'");
    }
    ASSIGN_OR_RETURN(double fraction, split.Number(name, 0.0, 1.0));
    if (fraction <= 0.0) {
      return split.FieldError(name, "a split fraction must be greater than 0");
    }
    out.fractions.emplace_back(name, fraction);
    sum += fraction;
  }
  if (out.fractions.empty()) {
    return split.Error("no split fractions given (for example train: 0.8, test: 0.2)");
  }
  if (std::fabs(sum - 1.0) > 1e-6) {
    return split.Error(fmt::format("the split fractions sum to {:.6g}; they must sum to 1", sum));
  }
  return Status::Ok();
}

}  // namespace

Result<ProcessSpec> ParseProcessSpec(const SpecReader& step, const std::filesystem::path& spec_dir,
                                     std::initializer_list<std::string_view> extra_known) {
  RETURN_IF_ERROR(ExpectStepFields(step, extra_known));
  ProcessSpec spec;
  if (!step.Has("input")) {
    return step.FieldError("input",
                           "required field 'input' is missing (for example "
                           "{ csv: data.csv, label: target })");
  }
  RETURN_IF_ERROR(ParseInput(step.Child("input"), spec_dir, spec));

  if (step.Has("transforms")) {
    SpecReader transforms = step.Child("transforms");
    if (!transforms.json().is_array()) {
      return transforms.Error("expected a list such as [{ op: drop_duplicates }]");
    }
    for (size_t i = 0; i < transforms.Size(); ++i) {
      ASSIGN_OR_RETURN(TransformSpec t, ParseTransform(transforms.Element(i)));
      spec.transforms.push_back(std::move(t));
    }
  }
  if (step.Has("split")) {
    SpecReader split = step.Child("split");
    RETURN_IF_ERROR(ParseSplit(split, spec.label, spec.split));
    bool fitted = std::any_of(spec.transforms.begin(), spec.transforms.end(),
                              [](const TransformSpec& t) { return t.op == kStandardize; });
    if (Result<size_t> fit = FitSplitIndex(spec.split); fitted && !fit.ok()) {
      return split.Error(fit.status().message());
    }
  }
  return spec;
}

}  // namespace citadel::data
