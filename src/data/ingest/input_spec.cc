// ParseInputSpec: a step's `input:` mapping → InputSpec. Every error comes
// from SpecReader, so it reads "spec.yaml:LINE: steps/0/input/…: …".
#include "data/ingest/input_spec.h"

#include <fmt/format.h>

#include <array>

namespace citadel::data {
namespace {

constexpr std::array<std::string_view, 3> kFormats = {"csv", "jsonl", "idx"};

Result<std::filesystem::path> ReadPath(const SpecReader& reader, std::string_view key,
                                       const std::filesystem::path& spec_dir) {
  ASSIGN_OR_RETURN(std::string text, reader.String(key));
  if (text.empty()) return reader.FieldError(key, "the path is empty");
  std::filesystem::path path(text);
  return path.is_absolute() ? path : spec_dir / path;
}

Status ReadCsvOptions(const SpecReader& input, CsvOptions& out) {
  if (input.Has("header")) {
    const Json& header = input.json()["header"];
    if (header.is_boolean()) {
      out.header = header.get<bool>() ? CsvOptions::Header::kPresent : CsvOptions::Header::kAbsent;
    } else if (!(header.is_string() && header.get<std::string>() == "auto")) {
      return input.FieldError("header",
                              fmt::format("expected true, false or auto, got {}", header.dump()));
    }
  }
  ASSIGN_OR_RETURN(std::string delimiter, input.String("delimiter", ","));
  if (delimiter.size() != 1 || delimiter == "\"" || delimiter == "\n" || delimiter == "\r" ||
      delimiter[0] == '\0') {
    return input.FieldError("delimiter", fmt::format("expected one character other than a quote "
                                                     "or a line break, got '{}'",
                                                     delimiter));
  }
  out.delimiter = delimiter[0];
  return Status::Ok();
}

Status ReadLabel(const SpecReader& input, std::string& out) {
  if (!input.Has("label")) return Status::Ok();
  const Json& label = input.json()["label"];
  if (label.is_string() && !label.get<std::string>().empty()) {
    out = label.get<std::string>();
  } else if (label.is_number_integer()) {
    out = std::to_string(label.get<int64_t>());
  } else {
    return input.FieldError("label", fmt::format("expected a column name or an integer index "
                                                 "(-1 for the last column), got {}; leave label "
                                                 "out when the data has none",
                                                 label.dump()));
  }
  return Status::Ok();
}

Status ReadSchema(const SpecReader& input, std::vector<std::pair<std::string, ColumnType>>& out) {
  if (!input.Has("schema")) return Status::Ok();
  SpecReader schema = input.Child("schema");
  if (!schema.json().is_object()) {
    return schema.Error("expected a mapping of column name to type, such as {age: int}");
  }
  for (const auto& [name, type] : schema.json().items()) {
    std::optional<ColumnType> parsed;
    if (type.is_string()) parsed = ParseColumnType(type.get<std::string>());
    if (!parsed) {
      return schema.FieldError(
          name, fmt::format("expected one of int, float, bool, string, categorical, timestamp; "
                            "got {}",
                            type.dump()));
    }
    out.emplace_back(name, *parsed);
  }
  return Status::Ok();
}

}  // namespace

std::vector<std::filesystem::path> InputSpec::Files() const {
  std::vector<std::filesystem::path> files = {path};
  if (!idx_labels.empty()) files.push_back(idx_labels);
  return files;
}

Result<InputSpec> ParseInputSpec(const SpecReader& input, const std::filesystem::path& spec_dir) {
  RETURN_IF_ERROR(input.ExpectObject({"csv", "jsonl", "idx", "label", "header", "delimiter",
                                      "schema", "missing_values", "max_field_bytes"}));
  std::vector<std::string_view> given;
  for (std::string_view f : kFormats) {
    if (input.Has(f)) given.push_back(f);
  }
  if (given.empty()) {
    return input.Error(
        "no input file: give one of csv: FILE, jsonl: FILE or "
        "idx: {images: FILE, labels: FILE}");
  }
  if (given.size() > 1) {
    return input.FieldError(given[1], fmt::format("only one of csv:, jsonl: and idx: may be given; "
                                                  "this input has both {}: and {}:",
                                                  given[0], given[1]));
  }

  InputSpec spec;
  if (given[0] == "idx") {
    spec.format = InputSpec::Format::kIdx;
    SpecReader idx = input.Child("idx");
    RETURN_IF_ERROR(idx.ExpectObject({"images", "labels"}));
    ASSIGN_OR_RETURN(spec.path, ReadPath(idx, "images", spec_dir));
    if (idx.Has("labels")) {
      ASSIGN_OR_RETURN(spec.idx_labels, ReadPath(idx, "labels", spec_dir));
    }
  } else {
    spec.format = given[0] == "csv" ? InputSpec::Format::kCsv : InputSpec::Format::kJsonl;
    ASSIGN_OR_RETURN(spec.path, ReadPath(input, given[0], spec_dir));
  }

  if (spec.format == InputSpec::Format::kCsv) {
    RETURN_IF_ERROR(ReadCsvOptions(input, spec.csv));
  } else {
    for (std::string_view csv_only : {"header", "delimiter"}) {
      if (input.Has(csv_only)) {
        return input.FieldError(
            csv_only, fmt::format("'{}' applies only to csv: input; remove it", csv_only));
      }
    }
  }
  RETURN_IF_ERROR(ReadLabel(input, spec.label));
  RETURN_IF_ERROR(ReadSchema(input, spec.schema));
  if (input.Has("missing_values")) {
    ASSIGN_OR_RETURN(spec.missing_values, input.StringList("missing_values"));
  }
  ASSIGN_OR_RETURN(int64_t max_field_bytes, input.Int("max_field_bytes", 1, int64_t{1} << 30,
                                                      static_cast<int64_t>(spec.max_field_bytes)));
  spec.max_field_bytes = static_cast<size_t>(max_field_bytes);
  return spec;
}

}  // namespace citadel::data
