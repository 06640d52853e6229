// The forward pass of the typed CSV reader over one chunk of a file: the
// records that start in [begin, stop), each field converted into its column's
// builder as it is found. ParseCsvTable runs one chunk for a small file, or
// several on threads and merges them (csv_table_reader.cc).
//
// A plain record (no quote, one field per column, ending with a line break:
// nearly every record of a numeric file) is read on the fast path: its field
// ends come from a FieldEndIndex, its numbers are converted from the field
// bounds (plain_number.h), and its other fields go through
// ColumnBuilder::AddText. Any other record is read field by field by the
// general path: fields found with FieldScanner, a number parsed straight
// from the text, other fields through AddText, and only a field starting
// with a quote through CsvTokenizer. Both paths give the same cells and the
// same errors (plain_record_test.cc checks it on seeded random files). Messages are those of the
// sequential reader: "FILE:LINE: …" with the chunk's first line given.
//
// Distinct chunks may be parsed on distinct threads; the shared input is
// read-only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "data/ingest/cells/cell_text.h"
#include "data/ingest/cells/column_builder.h"
#include "data/ingest/csv/field_end_index.h"
#include "data/ingest/input_spec.h"

namespace citadel::data {

// What every chunk of one file shares.
struct CsvChunkInput {
  std::string_view text;  // the whole decoded text
  std::string_view source;
  const InputSpec* spec = nullptr;
  const MissingTokens* missing = nullptr;
  // The index kernel, and whether plain records take the fast path at all:
  // tests compare every kernel and the general path alone.
  FieldEndIndex::Kernel kernel = FieldEndIndex::BestKernel();
  bool plain_records = true;
};

struct CsvChunk {
  // Records starting in [begin, stop) are this chunk's; `begin` is a record
  // start (or blank lines before one) on 1-based line `line`.
  size_t begin = 0;
  size_t stop = 0;
  int64_t line = 1;
  // The columns reserve room for the records up to here (0: up to `stop`).
  // The first chunk of a parallel parse reserves for the whole text, so the
  // merge appends the others to it instead of moving it.
  size_t reserve_stop = 0;

  std::vector<ColumnBuilder> builders;  // one per column, made by the caller
  std::vector<size_t> row_begins;       // offset of each record in the text
  std::vector<int64_t> lines;           // line of each record
  size_t end = 0;  // offset after the last record read (begin when none); may pass stop
};

// Reads the chunk's records. A record that starts before `stop` is read to
// its end, even past `stop`. Errors: those of the sequential reader for the
// first bad record or cell of the chunk (a ragged row, an unterminated quote,
// a cell that does not fit its declared type, invalid UTF-8, a field over
// max_field_bytes).
Status ParseCsvChunk(const CsvChunkInput& input, CsvChunk& chunk);

// Gives the builders whose rows [0, rows_needing_text()) need their text
// (columns that turned into string columns) that text, re-reading those rows
// of the chunk once for all such columns. Errors: invalid UTF-8.
Status FillEarlierText(const CsvChunkInput& input, CsvChunk& chunk);

}  // namespace citadel::data
