// CSV ingest: RFC 4180 records from plain or gzip text into a CsvTable.
//
// Quoted fields may hold the delimiter, line breaks and doubled quotes ("");
// CRLF and LF line ends are both accepted; blank lines between records are
// skipped; a UTF-8 byte order mark is ignored. Every row must have as many
// fields as the first record. Errors are InvalidArgument and start with
// "FILE:LINE: " (1-based; a record spanning lines reports its first line).
// Header names must be valid UTF-8 (they are written to schema.json).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace citadel::data {

struct CsvOptions {
  enum class Header { kAuto, kPresent, kAbsent };
  // kAuto: the first record is a header when none of its fields is a number,
  // or when some column holds text in the first record and a number in the
  // second (as Python's csv.Sniffer decides). So "5.1,3.5,Iris-setosa" stays
  // data: its text column is text on every line. An empty field counts as
  // text for the first test but is no evidence for the second (a missing
  // value in a header-less first row must not turn that row into a header).
  // A file of one record is a header only when every field is text.
  Header header = Header::kAuto;
  char delimiter = ',';
};

// The cells of a CSV file, stored in one buffer (no allocation per cell).
// Immutable once built; safe to read from several threads.
class CsvTable {
 public:
  const std::string& source() const { return source_; }
  // From the header, or "col_0", "col_1", … when there is none.
  const std::vector<std::string>& columns() const { return columns_; }
  bool has_header() const { return has_header_; }
  size_t num_rows() const { return lines_.size(); }
  size_t num_columns() const { return columns_.size(); }

  // Data rows only (the header is not a row). Preconditions: in range.
  std::string_view cell(size_t row, size_t column) const {
    size_t i = row * columns_.size() + column;
    size_t begin = i == 0 ? 0 : cell_ends_[i - 1];
    return std::string_view(cells_).substr(begin, cell_ends_[i] - begin);
  }
  // 1-based line of the file on which `row` starts.
  int64_t line(size_t row) const { return lines_[row]; }

 private:
  friend Result<CsvTable> ParseCsv(std::string_view, std::string, const CsvOptions&);

  std::string source_;
  std::vector<std::string> columns_;
  bool has_header_ = false;
  std::string cells_;              // every cell's text, back to back
  std::vector<size_t> cell_ends_;  // end offset in cells_ of each cell, row-major
  std::vector<int64_t> lines_;     // per row
};

// Where the data of a CSV text begins, after the byte order mark and the
// header (when there is one, by CsvOptions::header).
struct CsvLayout {
  std::vector<std::string> columns;  // header names, or col_0, col_1, …
  bool has_header = false;
  int64_t first_line = 1;  // line of the first record (the header when has_header)
  size_t data_begin = 0;   // offset in the text of the first data record (or its end)
  int64_t data_line = 1;   // line at data_begin
};

// Reads the first record (and, for Header::kAuto, the second) of decoded CSV
// text. `source` names the file in messages. Errors: as ParseCsv, for the
// first two records and the header names.
Result<CsvLayout> DetectCsvLayout(std::string_view text, std::string_view source,
                                  const CsvOptions& options);

// Parses decoded CSV text. `source` names the file in messages. Errors: an
// empty input, a ragged row, an unterminated quote, a stray character after a
// closing quote, duplicate header names, a header name that is not valid
// UTF-8, an unusable delimiter.
Result<CsvTable> ParseCsv(std::string_view text, std::string source, const CsvOptions& options);

// Reads `path` (gzip detected by content) and parses it.
Result<CsvTable> ReadCsv(const std::filesystem::path& path, const CsvOptions& options);

}  // namespace citadel::data
