#include "data/ingest/csv/csv_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <unordered_map>

#include "base/text/utf8.h"
#include "data/ingest/cells/number.h"
#include "data/ingest/csv/csv_tokenizer.h"
#include "data/ingest/text_source.h"

namespace citadel::data {
namespace {

// Splits text into records. The fields of the current record are kept back to
// back in one reused buffer, so parsing allocates only while that buffer grows.
class RecordScanner {
 public:
  RecordScanner(std::string_view text, std::string_view source, char delimiter)
      : tokenizer_(text, source, delimiter) {}

  // Reads the next record; false at the end of the input.
  Result<bool> Next() {
    if (!tokenizer_.NextRecord()) return false;
    fields_.clear();
    field_ends_.clear();
    for (;;) {
      std::string_view cell;
      ASSIGN_OR_RETURN(bool ended, tokenizer_.ReadField(field_ends_.size(), cell));
      fields_.append(cell);
      field_ends_.push_back(fields_.size());
      if (ended) return true;
    }
  }

  int64_t record_line() const { return tokenizer_.record_line(); }
  size_t num_fields() const { return field_ends_.size(); }
  std::string_view field(size_t i) const {
    size_t begin = i == 0 ? 0 : field_ends_[i - 1];
    return std::string_view(fields_).substr(begin, field_ends_[i] - begin);
  }
  const std::string& fields_buffer() const { return fields_; }
  const std::vector<size_t>& field_ends() const { return field_ends_; }
  CsvTokenizer& tokenizer() { return tokenizer_; }

 private:
  CsvTokenizer tokenizer_;
  std::string fields_;
  std::vector<size_t> field_ends_;
};

// The CsvOptions::Header::kAuto rule (see csv_reader.h). `second` is null for
// a file of one record.
bool LooksLikeHeader(const std::vector<std::string>& first, const RecordScanner* second) {
  bool all_text = true;
  bool text_above_number = false;
  for (size_t i = 0; i < first.size(); ++i) {
    if (ParseNumber(first[i]).has_value()) {
      all_text = false;
      continue;
    }
    if (second != nullptr && !first[i].empty() && i < second->num_fields() &&
        ParseNumber(second->field(i)).has_value()) {
      text_above_number = true;
    }
  }
  return all_text || text_above_number;
}

}  // namespace

Result<CsvLayout> DetectCsvLayout(std::string_view text, std::string_view source,
                                  const CsvOptions& options) {
  char d = options.delimiter;
  if (d == '"' || d == '\n' || d == '\r' || d == '\0') {
    return InvalidArgumentError(
        fmt::format("{}: the CSV delimiter cannot be a quote, a line break or NUL", source));
  }
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  size_t bom = text.starts_with(kBom) ? kBom.size() : 0;

  RecordScanner scanner(text.substr(bom), source, d);
  ASSIGN_OR_RETURN(bool any, scanner.Next());
  if (!any) {
    return InvalidArgumentError(
        fmt::format("{}: the file is empty (no CSV records); check the input path", source));
  }
  CsvLayout layout;
  layout.first_line = scanner.record_line();
  const size_t first_begin = bom + scanner.tokenizer().record_begin();
  const size_t after_first = static_cast<size_t>(scanner.tokenizer().cursor() - text.data());
  const int64_t line_after_first = scanner.tokenizer().line();
  // Header detection looks at the second record too, so the first is copied
  // out before the scanner moves on.
  size_t width = scanner.num_fields();
  std::vector<std::string> first;
  first.reserve(width);
  for (size_t i = 0; i < width; ++i) first.emplace_back(scanner.field(i));
  bool more = false;
  if (options.header == CsvOptions::Header::kAuto) {
    ASSIGN_OR_RETURN(more, scanner.Next());
  }

  layout.has_header = options.header == CsvOptions::Header::kPresent ||
                      (options.header == CsvOptions::Header::kAuto &&
                       LooksLikeHeader(first, more ? &scanner : nullptr));
  if (!layout.has_header) {
    for (size_t i = 0; i < width; ++i) layout.columns.push_back(fmt::format("col_{}", i));
    layout.data_begin = first_begin;
    layout.data_line = layout.first_line;
    return layout;
  }
  std::unordered_map<std::string_view, size_t> seen;
  for (size_t i = 0; i < width; ++i) {
    if (!IsValidUtf8(first[i])) {
      return InvalidArgumentError(fmt::format(
          "{}:{}: invalid UTF-8 in column {} of the header; column names are recorded in "
          "schema.json, which is UTF-8: re-save the file as UTF-8 (for example with iconv -f "
          "latin1 -t utf-8)",
          source, layout.first_line, i + 1));
    }
    auto [it, inserted] = seen.emplace(first[i], i);
    if (!inserted) {
      return InvalidArgumentError(fmt::format(
          "{}:{}: duplicate column name '{}' (columns {} and {}); column names must be unique",
          source, layout.first_line, first[i], it->second + 1, i + 1));
    }
  }
  layout.columns = std::move(first);
  layout.data_begin = after_first;
  layout.data_line = line_after_first;
  return layout;
}

Result<CsvTable> ParseCsv(std::string_view text, std::string source, const CsvOptions& options) {
  ASSIGN_OR_RETURN(CsvLayout layout, DetectCsvLayout(text, source, options));
  CsvTable table;
  table.source_ = std::move(source);
  table.has_header_ = layout.has_header;
  table.columns_ = std::move(layout.columns);
  const size_t width = table.columns_.size();

  RecordScanner scanner(text, table.source_, options.delimiter);
  scanner.tokenizer().Seek(layout.data_begin, layout.data_line);
  ASSIGN_OR_RETURN(bool more, scanner.Next());
  while (more) {
    if (scanner.num_fields() != width) {
      return InvalidArgumentError(fmt::format("{}:{}: expected {} fields, got {}", table.source_,
                                              scanner.record_line(), width, scanner.num_fields()));
    }
    size_t base = table.cells_.size();
    table.cells_.append(scanner.fields_buffer());
    for (size_t end : scanner.field_ends()) table.cell_ends_.push_back(base + end);
    table.lines_.push_back(scanner.record_line());
    ASSIGN_OR_RETURN(more, scanner.Next());
  }
  return table;
}

Result<CsvTable> ReadCsv(const std::filesystem::path& path, const CsvOptions& options) {
  ASSIGN_OR_RETURN(std::string text, ReadTextSource(path));
  return ParseCsv(text, path.string(), options);
}

}  // namespace citadel::data
