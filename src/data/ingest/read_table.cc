// ReadTable / ReadTableFile: files → decoded bytes → the reader for their
// format → Table, with the label resolved by name or position.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <span>

#include "data/ingest/input_spec.h"
#include "data/ingest/text_source.h"
#include "formats/idx.h"

namespace citadel::data {
namespace {

// `label` is a column name or, when no column has that name, an integer
// index (negative counts from the end).
Status ResolveLabel(Table& table, std::string_view label) {
  if (label.empty() || table.Find(label) != nullptr) {
    table.label = std::string(label);
    return Status::Ok();
  }
  int64_t index = 0;
  auto [end, ec] = std::from_chars(label.data(), label.data() + label.size(), index);
  const int64_t width = static_cast<int64_t>(table.num_columns());
  if (ec == std::errc() && end == label.data() + label.size()) {
    int64_t resolved = index < 0 ? width + index : index;
    if (resolved < 0 || resolved >= width) {
      return InvalidArgumentError(fmt::format(
          "{}: label column index {} is out of range: the table has {} columns (0 … {}, or -1 "
          "for the last)",
          table.source, label, width, width - 1));
    }
    table.label = table.columns[static_cast<size_t>(resolved)].name;
    return Status::Ok();
  }
  return InvalidArgumentError(fmt::format(
      "{}: label column '{}' not found; the columns are {} (a file without a header names them "
      "col_0, col_1, …; an integer such as -1 picks a column by position)",
      table.source, label, table.ColumnList()));
}

std::string LowerExtension(const std::filesystem::path& path) {
  std::filesystem::path p = path;
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".gz") return LowerExtension(p.stem());
  return ext;
}

}  // namespace

Result<Table> ReadTable(const InputSpec& spec) { return ReadTable(spec, CsvParallelism()); }

Result<Table> ReadTable(const InputSpec& spec, const CsvParallelism& parallelism) {
  ASSIGN_OR_RETURN(MappedTextSource input, MappedTextSource::Open(spec.path));
  const std::string_view bytes = input.text();
  std::string source = spec.path.string();
  if (spec.format == InputSpec::Format::kCsv) {
    ASSIGN_OR_RETURN(Table table, ParseCsvTable(bytes, std::move(source), spec, parallelism));
    RETURN_IF_ERROR(ResolveLabel(table, spec.label));
    return table;
  }
  if (spec.format == InputSpec::Format::kJsonl) {
    ASSIGN_OR_RETURN(Table table, ParseJsonlTable(bytes, std::move(source), spec));
    RETURN_IF_ERROR(ResolveLabel(table, spec.label));
    return table;
  }
  std::optional<std::string> labels;
  if (!spec.idx_labels.empty()) {
    ASSIGN_OR_RETURN(labels, ReadTextSource(spec.idx_labels));
  }
  ASSIGN_OR_RETURN(Table table,
                   ParseIdxTable(bytes, std::move(source),
                                 labels ? std::optional<std::string_view>(*labels) : std::nullopt,
                                 spec.idx_labels.string(), spec));
  RETURN_IF_ERROR(ResolveLabel(table, spec.label.empty() && labels ? "label" : spec.label));
  return table;
}

Result<Table> ReadTableFile(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(MappedTextSource input, MappedTextSource::Open(path));
  const std::string_view bytes = input.text();
  InputSpec spec;
  spec.path = path;
  if (formats::LooksLikeIdx(std::as_bytes(std::span<const char>(bytes.data(), bytes.size())))) {
    spec.format = InputSpec::Format::kIdx;
    return ParseIdxTable(bytes, path.string(), std::nullopt, "", spec);
  }
  std::string ext = LowerExtension(path);
  if (ext == ".jsonl" || ext == ".ndjson") {
    spec.format = InputSpec::Format::kJsonl;
    return ParseJsonlTable(bytes, path.string(), spec);
  }
  return ParseCsvTable(bytes, path.string(), spec);
}

}  // namespace citadel::data
