#include "data/ingest/csv_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

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

  int record_line() const { return record_line_; }
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
    int open_line = line_;
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
      line_ += static_cast<int>(std::count(chunk.begin(), chunk.end(), '\n'));
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
  int line_ = 1;
  int record_line_ = 1;
  std::string fields_;
  std::vector<size_t> field_ends_;
};

bool LooksLikeHeader(const RecordScanner& record) {
  for (size_t i = 0; i < record.num_fields(); ++i) {
    if (!ParseNumber(record.field(i)).has_value()) return true;
  }
  return false;
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
  size_t width = scanner.num_fields();
  table.has_header_ = options.header == CsvOptions::Header::kPresent ||
                      (options.header == CsvOptions::Header::kAuto && LooksLikeHeader(scanner));
  if (table.has_header_) {
    std::unordered_map<std::string_view, size_t> seen;
    for (size_t i = 0; i < width; ++i) {
      table.columns_.emplace_back(scanner.field(i));
    }
    for (size_t i = 0; i < width; ++i) {
      auto [it, inserted] = seen.emplace(table.columns_[i], i);
      if (!inserted) {
        return InvalidArgumentError(fmt::format(
            "{}:{}: duplicate column name '{}' (columns {} and {}); column names must be unique",
            table.source_, scanner.record_line(), table.columns_[i], it->second + 1, i + 1));
      }
    }
  } else {
    for (size_t i = 0; i < width; ++i) table.columns_.push_back(fmt::format("col_{}", i));
  }

  bool pending = !table.has_header_;  // the first record is data
  for (;;) {
    if (!pending) {
      ASSIGN_OR_RETURN(bool more, scanner.Next());
      if (!more) break;
    }
    pending = false;
    if (scanner.num_fields() != width) {
      return InvalidArgumentError(fmt::format("{}:{}: expected {} fields, got {}", table.source_,
                                              scanner.record_line(), width, scanner.num_fields()));
    }
    size_t base = table.cells_.size();
    table.cells_.append(scanner.fields_buffer());
    for (size_t end : scanner.field_ends()) table.cell_ends_.push_back(base + end);
    table.lines_.push_back(scanner.record_line());
  }
  return table;
}

Result<CsvTable> ReadCsv(const std::filesystem::path& path, const CsvOptions& options) {
  ASSIGN_OR_RETURN(std::string text, ReadTextSource(path));
  return ParseCsv(text, path.string(), options);
}

}  // namespace citadel::data
