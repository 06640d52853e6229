#include "data/ingest/csv_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <unordered_map>

#include "base/text/utf8.h"
#include "data/ingest/number.h"
#include "data/ingest/text_source.h"

namespace citadel::data {
namespace {

// Splits text into records. The fields of the current record are kept back to
// back in one reused buffer, so parsing allocates only while that buffer grows.
class RecordScanner {
 public:
  RecordScanner(std::string_view text, std::string_view source, char delimiter)
      : text_(text), source_(source), delimiter_(delimiter) {}

  // Reads the next record; false at the end of the input.
  Result<bool> Next() {
    SkipBlankLines();
    if (pos_ >= text_.size()) return false;
    record_line_ = line_;
    fields_.clear();
    field_ends_.clear();
    for (;;) {
      if (pos_ < text_.size() && text_[pos_] == '"') {
        RETURN_IF_ERROR(ReadQuotedField());
      } else {
        ReadPlainField();
      }
      field_ends_.push_back(fields_.size());
      if (pos_ >= text_.size()) return true;
      char c = text_[pos_];
      if (c == delimiter_) {
        ++pos_;
        continue;
      }
      if (c == '\n' || (c == '\r' && (pos_ + 1 == text_.size() || text_[pos_ + 1] == '\n'))) {
        pos_ += c == '\r' ? 2 : 1;
        ++line_;
        return true;
      }
      return InvalidArgumentError(fmt::format(
          "{}:{}: unexpected character '{}' after the closing quote of field {}; a quote inside a "
          "quoted field must be doubled (\"\")",
          source_, line_, c, field_ends_.size()));
    }
  }

  int64_t record_line() const { return record_line_; }
  size_t num_fields() const { return field_ends_.size(); }
  std::string_view field(size_t i) const {
    size_t begin = i == 0 ? 0 : field_ends_[i - 1];
    return std::string_view(fields_).substr(begin, field_ends_[i] - begin);
  }
  const std::string& fields_buffer() const { return fields_; }
  const std::vector<size_t>& field_ends() const { return field_ends_; }

 private:
  void SkipBlankLines() {
    while (pos_ < text_.size()) {
      if (text_[pos_] == '\n') {
        ++pos_;
      } else if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') {
        pos_ += 2;
      } else {
        return;
      }
      ++line_;
    }
  }

  void ReadPlainField() {
    size_t end = pos_;
    while (end < text_.size() && text_[end] != delimiter_ && text_[end] != '\n') ++end;
    size_t stop = end;
    if (stop > pos_ && text_[stop - 1] == '\r' && (stop == text_.size() || text_[stop] == '\n')) {
      --stop;  // CRLF line end
    }
    fields_.append(text_.substr(pos_, stop - pos_));
    pos_ = end;
  }

  Status ReadQuotedField() {
    int64_t open_line = line_;
    ++pos_;
    for (;;) {
      size_t quote = text_.find('"', pos_);
      if (quote == std::string_view::npos) {
        return InvalidArgumentError(fmt::format(
            "{}:{}: unterminated quoted field: the '\"' that opens field {} on this line is never "
            "closed",
            source_, open_line, field_ends_.size() + 1));
      }
      std::string_view chunk = text_.substr(pos_, quote - pos_);
      line_ += std::count(chunk.begin(), chunk.end(), '\n');
      fields_.append(chunk);
      if (quote + 1 < text_.size() && text_[quote + 1] == '"') {
        fields_.push_back('"');
        pos_ = quote + 2;
        continue;
      }
      pos_ = quote + 1;
      return Status::Ok();
    }
  }

  std::string_view text_;
  std::string_view source_;
  char delimiter_;
  size_t pos_ = 0;
  int64_t line_ = 1;
  int64_t record_line_ = 1;
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

Result<CsvTable> ParseCsv(std::string_view text, std::string source, const CsvOptions& options) {
  char d = options.delimiter;
  if (d == '"' || d == '\n' || d == '\r' || d == '\0') {
    return InvalidArgumentError(
        fmt::format("{}: the CSV delimiter cannot be a quote, a line break or NUL", source));
  }
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (text.starts_with(kBom)) text.remove_prefix(kBom.size());

  CsvTable table;
  table.source_ = std::move(source);
  RecordScanner scanner(text, table.source_, d);
  ASSIGN_OR_RETURN(bool any, scanner.Next());
  if (!any) {
    return InvalidArgumentError(
        fmt::format("{}: the file is empty (no CSV records); check the input path", table.source_));
  }
  // Header detection looks at the second record too, so the first is copied
  // out before the scanner moves on.
  size_t width = scanner.num_fields();
  int64_t first_line = scanner.record_line();
  std::vector<std::string> first;
  first.reserve(width);
  for (size_t i = 0; i < width; ++i) first.emplace_back(scanner.field(i));
  ASSIGN_OR_RETURN(bool more, scanner.Next());

  table.has_header_ = options.header == CsvOptions::Header::kPresent ||
                      (options.header == CsvOptions::Header::kAuto &&
                       LooksLikeHeader(first, more ? &scanner : nullptr));
  if (table.has_header_) {
    std::unordered_map<std::string_view, size_t> seen;
    for (size_t i = 0; i < width; ++i) {
      if (!IsValidUtf8(first[i])) {
        return InvalidArgumentError(fmt::format(
            "{}:{}: invalid UTF-8 in column {} of the header; column names are recorded in "
            "schema.json, which is UTF-8: re-save the file as UTF-8 (for example with iconv -f "
            "latin1 -t utf-8)",
            table.source_, first_line, i + 1));
      }
      auto [it, inserted] = seen.emplace(first[i], i);
      if (!inserted) {
        return InvalidArgumentError(fmt::format(
            "{}:{}: duplicate column name '{}' (columns {} and {}); column names must be unique",
            table.source_, first_line, first[i], it->second + 1, i + 1));
      }
    }
    table.columns_ = std::move(first);
  } else {
    for (size_t i = 0; i < width; ++i) table.columns_.push_back(fmt::format("col_{}", i));
    for (const std::string& field : first) {
      table.cells_.append(field);
      table.cell_ends_.push_back(table.cells_.size());
    }
    table.lines_.push_back(first_line);
  }

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
