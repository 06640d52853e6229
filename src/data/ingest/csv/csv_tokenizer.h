// CsvTokenizer: splits decoded CSV text into fields, one field at a time,
// without copying (only a quoted field holding doubled quotes is unescaped,
// into a reused buffer). Shared by ParseCsv (CsvTable) and the typed table
// reader, so both apply the same RFC 4180 rules and report the same errors:
// quoted fields may hold the delimiter, line breaks and "" (one quote); CRLF
// and LF both end a record; blank lines between records are skipped; a plain
// field keeps every character up to the delimiter or line end.
//
// The typed reader parses numbers straight from the text and hands the end of
// the number back through IsFieldEnd / ConsumeFieldEndingAt, so a numeric
// field is scanned once, by the number parser.
//
// Not thread-safe; the text must outlive the tokenizer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace citadel::data {

class CsvTokenizer {
 public:
  // `source` names the file in messages. Fields longer than `max_field_bytes`
  // are an error (the limit and how to raise it are named in the message).
  CsvTokenizer(std::string_view text, std::string_view source, char delimiter,
               size_t max_field_bytes = SIZE_MAX);

  // Skips blank lines; false at the end of the text. Otherwise a record
  // starts at offset record_begin() on line record_line().
  bool NextRecord();
  size_t record_begin() const { return record_begin_; }
  int64_t record_line() const { return record_line_; }

  // Reads field `index` (0-based; for messages) of the current record into
  // `cell`: a view of the text, or of an internal buffer valid until the next
  // call. Returns true when the field ended the record. Errors (InvalidArgument,
  // "FILE:LINE: …"): an unterminated quote, a character after a closing quote
  // other than a delimiter or line end, a field longer than max_field_bytes.
  Result<bool> ReadField(size_t index, std::string_view& cell);

  // The fast path. cursor() is where the next field starts; when a caller has
  // parsed a value from [cursor(), p) and IsFieldEnd(p), it consumes the field
  // with ConsumeFieldEndingAt(p), which returns true when the record ended.
  const char* cursor() const { return cur_; }
  const char* text_end() const { return end_; }
  bool IsFieldEnd(const char* p) const {
    return p == end_ || *p == delimiter_ || *p == '\n' ||
           (*p == '\r' && (p + 1 == end_ || p[1] == '\n'));
  }
  bool ConsumeFieldEndingAt(const char* p) {
    if (p == end_) {
      cur_ = p;
      return true;
    }
    if (*p == delimiter_) {
      cur_ = p + 1;
      return false;
    }
    cur_ = *p == '\r' && p + 1 < end_ ? p + 2 : p + 1;
    ++line_;
    return true;
  }
  // Moves the cursor within the current record, past fields a caller has
  // consumed up to and including their delimiter.
  void set_cursor(const char* p) { cur_ = p; }
  size_t max_field_bytes() const { return max_field_bytes_; }
  // The error for field `index` (0-based) being over the limit; `line` is
  // where the field starts.
  Status FieldTooLong(size_t index, int64_t line) const;
  int64_t line() const { return line_; }

  // Moves to `offset`, a record start seen before on `line` (re-reading rows).
  void Seek(size_t offset, int64_t line);

  // The number of fields of the record starting at record_begin(), for the
  // message about a ragged row. Leaves the tokenizer after that record.
  Result<size_t> CountFieldsOfRecord();

 private:
  Result<bool> ReadQuotedField(size_t index, std::string_view& cell);
  Result<bool> EndQuotedField(size_t index);

  const char* begin_;
  const char* end_;
  const char* cur_;
  std::string_view source_;
  char delimiter_;
  size_t max_field_bytes_;
  int64_t line_ = 1;
  int64_t record_line_ = 1;
  size_t record_begin_ = 0;
  std::string unescaped_;  // a quoted field with "" pairs, unescaped
};

}  // namespace citadel::data
