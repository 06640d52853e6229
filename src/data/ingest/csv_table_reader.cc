// CSV text → typed Table in one pass: each field is converted as it is
// tokenised, straight from the decoded text, into its column's builder. A
// field in an int or float column is parsed by FromCharsDouble / FromCharsInt64
// (cell_text.h) at the cursor, and the parser's end doubles as the field's end
// (no scan, no copy).
// Only a column that turns into a string column after typed cells costs a
// second look at the rows before the change (see column_builder.h).
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "data/ingest/column_builder.h"
#include "data/ingest/csv_tokenizer.h"
#include "data/ingest/input_spec.h"

namespace citadel::data {
namespace {

using Kind = ColumnBuilder::Kind;

// True when `q` ends a field: the end of the text, a delimiter, or a line end.
inline bool AtFieldEnd(const char* q, const char* end, char delimiter) {
  return q == end || *q == delimiter || *q == '\n' ||
         (*q == '\r' && (q + 1 == end || q[1] == '\n'));
}

// The fast path: the field at `p`, read as the builder's number type
// straight from the text and appended. Returns the end of the field, or
// nullptr (nothing appended) when the path does not apply or the field is not
// exactly one number; the general path then decides.
inline const char* TryNumber(const char* p, const char* end, char delimiter, size_t max_field_bytes,
                             ColumnBuilder& builder) {
  if (p == end || !StartsNumber(*p)) return nullptr;
  if (builder.kind() == Kind::kFloat) {
    double value = 0;
    auto [q, ec] = FromCharsDouble(p, end, value);
    if (ec != std::errc() || !AtFieldEnd(q, end, delimiter) ||
        static_cast<size_t>(q - p) > max_field_bytes) {
      return nullptr;
    }
    builder.AppendFloat(value);
    return q;
  }
  if (builder.kind() == Kind::kInt) {
    int64_t value = 0;
    auto [q, ec] = FromCharsInt64(p, end, value);
    if (ec != std::errc() || !AtFieldEnd(q, end, delimiter) ||
        static_cast<size_t>(q - p) > max_field_bytes) {
      return nullptr;
    }
    builder.AppendInt(value);
    return q;
  }
  return nullptr;
}

// After this many rows, numeric columns reserve room for the whole file,
// estimated from the bytes those rows took.
constexpr size_t kRowsBeforeReserving = 1024;

void ReserveForEstimatedRows(std::vector<ColumnBuilder>& builders, size_t data_begin,
                             size_t position, size_t text_size) {
  double bytes_per_row = static_cast<double>(position - data_begin) / kRowsBeforeReserving;
  double rows = static_cast<double>(text_size - data_begin) / bytes_per_row * 1.05 + 16;
  for (ColumnBuilder& b : builders) b.ReserveIfNumeric(static_cast<size_t>(rows));
}

Status RaggedRow(CsvTokenizer& tokenizer, size_t width, std::string_view source) {
  int64_t line = tokenizer.record_line();
  ASSIGN_OR_RETURN(size_t got, tokenizer.CountFieldsOfRecord());
  return InvalidArgumentError(fmt::format(
      "{}:{}: expected {} fields, got {}; every row needs one field per column (quote a field "
      "that contains the delimiter)",
      source, line, width, got));
}

// Gives the columns that turned into string columns the text of their
// earlier rows, re-reading those rows once for all such columns.
Status FillEarlierText(CsvTokenizer& tokenizer, std::vector<ColumnBuilder>& builders,
                       const std::vector<size_t>& row_begins, const Table& table) {
  size_t rows = 0;
  size_t last_column = 0;
  for (size_t c = 0; c < builders.size(); ++c) {
    if (builders[c].rows_needing_text() == 0) continue;
    rows = std::max(rows, builders[c].rows_needing_text());
    last_column = c;
  }
  for (size_t r = 0; r < rows; ++r) {
    tokenizer.Seek(row_begins[r], table.lines[r]);
    for (size_t c = 0; c <= last_column; ++c) {
      std::string_view cell;
      // The first pass proved that the row has every field.
      ASSIGN_OR_RETURN([[maybe_unused]] bool ended, tokenizer.ReadField(c, cell));
      ColumnBuilder& b = builders[c];
      if (r >= b.rows_needing_text()) continue;
      CellFit fit = b.SetText(r, cell);
      if (fit != CellFit::kOk) return CellError(fit, table.Where(r), b, cell);
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Table> ParseCsvTable(std::string_view text, std::string source, const InputSpec& spec) {
  ASSIGN_OR_RETURN(CsvLayout layout, DetectCsvLayout(text, source, spec.csv));
  RETURN_IF_ERROR(CheckDeclaredColumns(spec.schema, layout.columns, source));
  std::vector<ColumnBuilder> builders = MakeBuilders(layout.columns, spec.schema);
  const MissingTokens missing(spec.missing_values);
  // A numeric missing token ("-999") must be seen before the number is.
  const bool fast = !missing.any_numeric_start();
  const size_t width = builders.size();
  const char delimiter = spec.csv.delimiter;
  const char* const end = text.data() + text.size();

  Table table;
  table.source = std::move(source);
  std::vector<size_t> row_begins;
  CsvTokenizer tokenizer(text, table.source, spec.csv.delimiter, spec.max_field_bytes);
  tokenizer.Seek(layout.data_begin, layout.data_line);
  while (tokenizer.NextRecord()) {
    if (row_begins.size() == kRowsBeforeReserving) {
      ReserveForEstimatedRows(builders, layout.data_begin, tokenizer.record_begin(), text.size());
    }
    row_begins.push_back(tokenizer.record_begin());
    table.lines.push_back(tokenizer.record_line());
    // The cursor lives in a register while fields end in a delimiter; the
    // tokenizer is synced only around the general path and at the row end.
    const char* p = tokenizer.cursor();
    for (size_t c = 0; c < width; ++c) {
      ColumnBuilder& builder = builders[c];
      bool ended = false;
      const char* q = fast ? TryNumber(p, end, delimiter, spec.max_field_bytes, builder) : nullptr;
      if (q != nullptr && q != end && *q == delimiter) {
        p = q + 1;
      } else {
        tokenizer.set_cursor(p);
        if (q != nullptr) {
          ended = tokenizer.ConsumeFieldEndingAt(q);
        } else {
          std::string_view cell;
          ASSIGN_OR_RETURN(ended, tokenizer.ReadField(c, cell));
          CellFit fit = builder.AddText(cell, missing);
          if (fit != CellFit::kOk) {
            return CellError(fit, fmt::format("{}:{}", table.source, tokenizer.record_line()),
                             builder, cell);
          }
        }
        p = tokenizer.cursor();
      }
      if (ended != (c + 1 == width)) return RaggedRow(tokenizer, width, table.source);
    }
    tokenizer.set_cursor(p);
  }
  RETURN_IF_ERROR(FillEarlierText(tokenizer, builders, row_begins, table));

  table.row_ids.resize(table.lines.size());
  for (size_t r = 0; r < table.row_ids.size(); ++r) table.row_ids[r] = static_cast<int64_t>(r);
  table.columns.reserve(width);
  for (ColumnBuilder& b : builders) table.columns.push_back(std::move(b).Finish());
  return table;
}

}  // namespace citadel::data
