// JSON Lines text → typed Table. Each line goes through nlohmann's SAX
// parser straight into the column builders (no DOM per line), which also
// gives keys in the order they are written: Json objects sort their keys, and
// columns must come out in first-seen order.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <unordered_map>

#include "base/text/json.h"
#include "data/ingest/cells/column_builder.h"
#include "data/ingest/input_spec.h"

namespace citadel::data {
namespace {

using Kind = ColumnBuilder::Kind;

// Cells (columns × rows) allowed per input byte, plus a fixed allowance: a
// dense line spends at least 6 bytes per cell ("a":1,), so only keys that
// change from line to line reach this.
constexpr size_t kCellsPerByte = 4;
constexpr size_t kCellAllowance = size_t{1} << 20;

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// nlohmann's message without its "[json.exception.parse_error.101] " tag and
// with the line of our one-line input left out.
std::string ParserMessage(const std::string& what) {
  std::string msg = what;
  if (size_t tag = msg.find("] "); msg.starts_with("[json.exception") && tag != std::string::npos) {
    msg.erase(0, tag + 2);
  }
  if (size_t at = msg.find("at line 1, column"); at != std::string::npos) {
    msg.replace(at, 17, "at column");
  }
  return msg;
}

// The SAX handler for one input: first pass (fill builders) and the re-read
// of earlier rows for columns that became string (fill_text_ = true).
class JsonlReader {
 public:
  JsonlReader(std::string_view text, std::string_view source, const InputSpec& spec)
      : source_(source), spec_(spec), missing_(spec.missing_values) {
    for (const auto& [name, type] : spec.schema) declared_.emplace(name, type);
    cell_limit_ = text.size() * kCellsPerByte + kCellAllowance;
  }

  Status ParseLine(std::string_view line, size_t row, int64_t line_number) {
    row_ = row;
    line_ = line_number;
    depth_ = 0;
    column_ = kNone;
    error_ = Status::Ok();
    bool ok = false;
    try {
      ok = Json::sax_parse(line.begin(), line.end(), this);
    } catch (const Json::exception& e) {
      return Fail(fmt::format("invalid JSON: {}", ParserMessage(e.what())));
    }
    if (!ok && error_.ok()) return Fail("invalid JSON");
    return error_;
  }

  void StartFillingText() { fill_text_ = true; }
  std::vector<ColumnBuilder>& builders() { return builders_; }

  // SAX events (the names nlohmann expects).
  bool null() {
    if (!AtValue("null")) return false;
    if (!fill_text_) builders_[column_].AppendMissing();
    return true;
  }
  bool boolean(bool value) {
    if (!AtValue("a boolean")) return false;
    return Cell(Kind::kBool, value ? 1 : 0, 0, value ? "true" : "false");
  }
  bool number_integer(int64_t value) {
    if (!AtValue("a number")) return false;
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    return Cell(Kind::kInt, value, 0, std::string_view(buf, static_cast<size_t>(end - buf)));
  }
  bool number_unsigned(uint64_t value) {
    if (value <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return number_integer(static_cast<int64_t>(value));
    }
    if (!AtValue("a number")) return false;
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    return Cell(Kind::kFloat, 0, static_cast<double>(value),
                std::string_view(buf, static_cast<size_t>(end - buf)));
  }
  bool number_float(double value, const std::string& raw) {
    if (!AtValue("a number")) return false;
    return Cell(Kind::kFloat, 0, value, raw);
  }
  bool string(std::string& value) {
    if (!AtValue("a string")) return false;
    if (value.size() > spec_.max_field_bytes) {
      return FailEvent(fmt::format(
          "the string of key '{}' is longer than {} bytes (input: max_field_bytes); if the value "
          "is genuine, raise max_field_bytes in the step's input: mapping",
          builders_[column_].name(), spec_.max_field_bytes));
    }
    return Cell(Kind::kString, 0, 0, value);
  }
  bool binary(Json::binary_t&) { return FailEvent("unexpected binary value"); }
  bool start_object(size_t) {
    if (depth_ == 0) {
      depth_ = 1;
      return true;
    }
    return Nested("object");
  }
  bool start_array(size_t) {
    if (depth_ == 0) return NotAnObject("an array");
    return Nested("array");
  }
  bool end_array() { return true; }
  bool key(std::string& name) {
    auto it = index_.find(name);
    if (fill_text_) {
      column_ = it->second;  // the first pass saw every key
      return true;
    }
    if (it == index_.end()) {
      // A new key costs a cell in every row so far.
      if (builders_.size() + 1 > cell_limit_ / (row_ + 1)) {
        return FailEvent(fmt::format(
            "{} distinct keys over {} lines exceed the limit of {} cells per input byte; the "
            "keys change from line to line, so reshape the data so that lines share their keys",
            builders_.size() + 1, row_ + 1, kCellsPerByte));
      }
      auto declared = declared_.find(name);
      builders_.emplace_back(name, declared == declared_.end()
                                       ? std::nullopt
                                       : std::optional<ColumnType>(declared->second));
      for (size_t r = 0; r < row_; ++r) builders_.back().AppendMissing();
      seen_in_row_.push_back(0);
      it = index_.emplace(name, builders_.size() - 1).first;
    }
    column_ = it->second;
    if (seen_in_row_[column_] == row_ + 1) {
      return FailEvent(
          fmt::format("key '{}' appears twice in the object; keys must be unique", name));
    }
    seen_in_row_[column_] = row_ + 1;
    return true;
  }
  bool end_object() {
    depth_ = 0;
    if (fill_text_) return true;
    for (size_t c = 0; c < builders_.size(); ++c) {
      if (seen_in_row_[c] != row_ + 1) builders_[c].AppendMissing();
    }
    return true;
  }
  bool parse_error(size_t, const std::string&, const Json::exception& e) {
    return FailEvent(fmt::format("invalid JSON: {}; each line must be one complete JSON object",
                                 ParserMessage(e.what())));
  }

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  Status Fail(std::string_view message) {
    error_ = InvalidArgumentError(fmt::format("{}:{}: {}", source_, line_, message));
    return error_;
  }
  bool FailEvent(std::string_view message) {
    Fail(message).IgnoreError();  // kept in error_ for ParseLine
    return false;
  }
  bool NotAnObject(std::string_view what) {
    return FailEvent(fmt::format(
        "expected a JSON object, got {}; JSON Lines input holds one object per line", what));
  }
  bool Nested(std::string_view what) {
    return FailEvent(fmt::format(
        "key '{}' holds a nested {}; columns must be scalars (string, number, boolean or null): "
        "flatten it (one key per field) or drop the key",
        builders_[column_].name(), what));
  }
  bool AtValue(std::string_view what) { return depth_ == 1 || NotAnObject(what); }

  bool Cell(Kind natural, int64_t i, double f, std::string_view text) {
    ColumnBuilder& b = builders_[column_];
    CellFit fit = CellFit::kOk;
    if (fill_text_) {
      if (row_ < b.rows_needing_text()) fit = b.SetText(row_, text);
    } else if (natural == Kind::kString) {
      fit = b.AddText(text, missing_);
    } else {
      fit = b.AddTyped(natural, i, f, text);
    }
    if (fit == CellFit::kOk) return true;
    error_ = CellError(fit, fmt::format("{}:{}", source_, line_), b, text);
    return false;
  }

  std::string_view source_;
  const InputSpec& spec_;
  const MissingTokens missing_;
  std::unordered_map<std::string, ColumnType> declared_;
  std::vector<ColumnBuilder> builders_;
  std::unordered_map<std::string, size_t> index_;
  std::vector<size_t> seen_in_row_;  // per column: 1 + the last row that set it
  size_t cell_limit_ = 0;
  bool fill_text_ = false;
  // The line being parsed.
  size_t row_ = 0;
  int64_t line_ = 0;
  int depth_ = 0;
  size_t column_ = kNone;
  Status error_;
};

}  // namespace

Result<Table> ParseJsonlTable(std::string_view text, std::string source, const InputSpec& spec) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  const size_t start = text.starts_with(kBom) ? kBom.size() : 0;
  Table table;
  table.source = std::move(source);
  JsonlReader reader(text, table.source, spec);
  std::vector<size_t> row_begins;
  std::vector<size_t> row_ends;
  int64_t line_number = 0;
  for (size_t pos = start; pos < text.size();) {
    ++line_number;
    size_t newline = text.find('\n', pos);
    size_t end = newline == std::string_view::npos ? text.size() : newline;
    std::string_view line = text.substr(pos, end - pos);
    size_t begin = pos;
    pos = end + 1;
    if (IsBlank(line)) continue;
    RETURN_IF_ERROR(reader.ParseLine(line, row_begins.size(), line_number));
    row_begins.push_back(begin);
    row_ends.push_back(end);
    table.lines.push_back(line_number);
  }
  if (table.lines.empty()) {
    return InvalidArgumentError(
        fmt::format("{}: the file is empty (no JSON objects); check the input path", table.source));
  }
  std::vector<ColumnBuilder>& builders = reader.builders();
  std::vector<std::string> names;
  for (const ColumnBuilder& b : builders) names.push_back(b.name());
  RETURN_IF_ERROR(CheckDeclaredColumns(spec.schema, names, table.source));

  size_t rows_to_reread = 0;
  for (const ColumnBuilder& b : builders) {
    rows_to_reread = std::max(rows_to_reread, b.rows_needing_text());
  }
  reader.StartFillingText();
  for (size_t r = 0; r < rows_to_reread; ++r) {
    RETURN_IF_ERROR(reader.ParseLine(text.substr(row_begins[r], row_ends[r] - row_begins[r]), r,
                                     table.lines[r]));
  }

  table.row_ids.resize(table.lines.size());
  for (size_t r = 0; r < table.row_ids.size(); ++r) table.row_ids[r] = static_cast<int64_t>(r);
  for (ColumnBuilder& b : builders) table.columns.push_back(std::move(b).Finish());
  return table;
}

}  // namespace citadel::data
