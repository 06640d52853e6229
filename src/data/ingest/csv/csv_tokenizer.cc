#include "data/ingest/csv/csv_tokenizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace citadel::data {

CsvTokenizer::CsvTokenizer(std::string_view text, std::string_view source, char delimiter,
                           size_t max_field_bytes)
    : begin_(text.data()),
      end_(text.data() + text.size()),
      cur_(text.data()),
      source_(source),
      delimiter_(delimiter),
      max_field_bytes_(max_field_bytes) {}

bool CsvTokenizer::NextRecord() {
  while (cur_ < end_) {
    if (*cur_ == '\n') {
      ++cur_;
    } else if (*cur_ == '\r' && cur_ + 1 < end_ && cur_[1] == '\n') {
      cur_ += 2;
    } else {
      break;
    }
    ++line_;
  }
  if (cur_ >= end_) return false;
  record_begin_ = static_cast<size_t>(cur_ - begin_);
  record_line_ = line_;
  return true;
}

Status CsvTokenizer::FieldTooLong(size_t index, int64_t line) const {
  return InvalidArgumentError(fmt::format(
      "{}:{}: field {} is longer than {} bytes (input: max_field_bytes); if the field is genuine, "
      "raise max_field_bytes in the step's input: mapping, otherwise look for an unclosed quote",
      source_, line, index + 1, max_field_bytes_));
}

Result<bool> CsvTokenizer::ReadField(size_t index, std::string_view& cell) {
  if (cur_ < end_ && *cur_ == '"') return ReadQuotedField(index, cell);
  const char* p = cur_;
  while (p < end_ && *p != delimiter_ && *p != '\n') ++p;
  const char* stop = p;
  if (stop > cur_ && stop[-1] == '\r' && (stop == end_ || *stop == '\n')) --stop;  // CRLF
  if (static_cast<size_t>(stop - cur_) > max_field_bytes_) return FieldTooLong(index, line_);
  cell = std::string_view(cur_, static_cast<size_t>(stop - cur_));
  return ConsumeFieldEndingAt(p);
}

Result<bool> CsvTokenizer::ReadQuotedField(size_t index, std::string_view& cell) {
  const int64_t open_line = line_;
  const char* content = cur_ + 1;
  const char* p = content;
  bool unescaping = false;
  unescaped_.clear();
  for (;;) {
    const void* found = std::memchr(p, '"', static_cast<size_t>(end_ - p));
    if (found == nullptr) {
      return InvalidArgumentError(fmt::format(
          "{}:{}: unterminated quoted field: the '\"' that opens field {} on this line is never "
          "closed",
          source_, open_line, index + 1));
    }
    const char* quote = static_cast<const char*>(found);
    line_ += std::count(p, quote, '\n');
    size_t size = unescaped_.size() + static_cast<size_t>(quote - p);
    if (size > max_field_bytes_) return FieldTooLong(index, open_line);
    if (quote + 1 < end_ && quote[1] == '"') {
      unescaped_.append(p, quote + 1);  // keeps one of the two quotes
      unescaping = true;
      p = quote + 2;
      continue;
    }
    if (unescaping) {
      unescaped_.append(p, quote);
      cell = unescaped_;
    } else {
      cell = std::string_view(content, static_cast<size_t>(quote - content));
    }
    cur_ = quote + 1;
    return EndQuotedField(index);
  }
}

Result<bool> CsvTokenizer::EndQuotedField(size_t index) {
  if (IsFieldEnd(cur_)) return ConsumeFieldEndingAt(cur_);
  return InvalidArgumentError(fmt::format(
      "{}:{}: unexpected character '{}' after the closing quote of field {}; a quote inside a "
      "quoted field must be doubled (\"\")",
      source_, line_, *cur_, index + 1));
}

void CsvTokenizer::Seek(size_t offset, int64_t line) {
  cur_ = begin_ + offset;
  line_ = line;
}

Result<size_t> CsvTokenizer::CountFieldsOfRecord() {
  Seek(record_begin_, record_line_);
  size_t count = 0;
  for (;;) {
    std::string_view cell;
    ASSIGN_OR_RETURN(bool ended, ReadField(count, cell));
    ++count;
    if (ended) return count;
  }
}

}  // namespace citadel::data
