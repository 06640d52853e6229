// ParseProcessSpec: the step mapping → ProcessSpec, section by section, each
// through the parser of the sub-module that owns it.
#include "data/prep/process_spec.h"

#include <fmt/format.h>

#include <algorithm>

namespace citadel::data {
namespace {

constexpr std::string_view kOwnFields[] = {"name",  "kind",       "input", "clean",  "expect",
                                           "split", "transforms", "pii",   "profile"};

// SpecReader::ExpectObject takes a fixed list; the step's list is ours plus
// the caller's, so the same check and message are spelled out here.
Status ExpectStepFields(const SpecReader& step,
                        std::initializer_list<std::string_view> extra_known) {
  if (!step.json().is_object()) return step.Error("expected a mapping for the step");
  for (const auto& [key, unused] : step.json().items()) {
    bool known =
        std::find(std::begin(kOwnFields), std::end(kOwnFields), key) != std::end(kOwnFields) ||
        std::find(extra_known.begin(), extra_known.end(), key) != extra_known.end();
    if (known) continue;
    std::string names;
    for (std::string_view k : kOwnFields)
      names += fmt::format("{}{}", names.empty() ? "" : ", ", k);
    for (std::string_view k : extra_known) names += fmt::format(", {}", k);
    return step.FieldError(key, fmt::format("unknown field '{}' (known fields: {})", key, names));
  }
  return Status::Ok();
}

Result<SpecReader> List(const SpecReader& step, std::string_view key, std::string_view example) {
  SpecReader list = step.Child(key);
  if (!list.json().is_array()) {
    return list.Error(fmt::format("expected a list such as {}", example));
  }
  return list;
}

Result<PiiPolicy> ParsePiiPolicy(const SpecReader& step) {
  ASSIGN_OR_RETURN(std::string policy, step.String("pii", "warn"));
  if (policy == "allow") return PiiPolicy::kAllow;
  if (policy == "warn") return PiiPolicy::kWarn;
  if (policy == "deny") return PiiPolicy::kDeny;
  return step.FieldError("pii", fmt::format("expected allow, warn or deny, got '{}'", policy));
}

}  // namespace

Result<ProcessSpec> ParseProcessSpec(const SpecReader& step, const std::filesystem::path& spec_dir,
                                     std::initializer_list<std::string_view> extra_known,
                                     const TransformEnv& env) {
  RETURN_IF_ERROR(ExpectStepFields(step, extra_known));
  ProcessSpec spec;
  if (!step.Has("input")) {
    return step.FieldError("input",
                           "required field 'input' is missing (for example "
                           "{ csv: data.csv, label: target })");
  }
  ASSIGN_OR_RETURN(spec.input, ParseInputSpec(step.Child("input"), spec_dir));
  if (spec.input.label.empty()) {
    return step.Child("input").FieldError(
        "label",
        "required field 'label' is missing (the class column: a name, or an index such "
        "as -1 for the last column)");
  }
  if (step.Has("clean")) {
    ASSIGN_OR_RETURN(SpecReader clean, List(step, "clean", "[{ op: drop_duplicates }]"));
    for (size_t i = 0; i < clean.Size(); ++i) {
      ASSIGN_OR_RETURN(std::unique_ptr<RowOperation> op, ParseRowOperation(clean.Element(i)));
      spec.clean.push_back(std::move(op));
    }
  }
  if (step.Has("expect")) {
    ASSIGN_OR_RETURN(SpecReader expect, List(step, "expect", "[{ not_null: [id] }]"));
    ASSIGN_OR_RETURN(spec.expect, ParseExpectations(expect));
  }
  if (step.Has("transforms")) {
    ASSIGN_OR_RETURN(SpecReader transforms,
                     List(step, "transforms", "[{ op: standardize, columns: all_numeric }]"));
    for (size_t i = 0; i < transforms.Size(); ++i) {
      ASSIGN_OR_RETURN(std::unique_ptr<ColumnTransform> t,
                       ParseTransform(transforms.Element(i), env));
      spec.transforms.push_back(std::move(t));
    }
  }
  if (step.Has("split")) {
    SpecReader split = step.Child("split");
    ASSIGN_OR_RETURN(spec.split, split::ParseSplitSpec(split));
    // Checked here so that a misnamed split is a spec error before any data
    // is read: with several splits the fitted transforms need one "train".
    if (Result<size_t> fit = split::FitSplitIndex(spec.split);
        !spec.transforms.empty() && !fit.ok()) {
      return split.Error(fit.status().message());
    }
  }
  ASSIGN_OR_RETURN(spec.pii, ParsePiiPolicy(step));
  ASSIGN_OR_RETURN(spec.profile, step.Bool("profile", true));
  return spec;
}

}  // namespace citadel::data
