#include "data/ingest/csv/csv_chunk_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "data/ingest/csv/csv_tokenizer.h"
#include "data/ingest/csv/field_scanner.h"

namespace citadel::data {
namespace {

using Kind = ColumnBuilder::Kind;

// True when `q` ends a field: the end of the text, a delimiter, or a line end.
inline bool AtFieldEnd(const char* q, const char* end, char delimiter) {
  return q == end || *q == delimiter || *q == '\n' ||
         (*q == '\r' && (q + 1 == end || q[1] == '\n'));
}

// The fast path: the field at `p` of an int or float column, parsed straight
// from the text and appended; the parser's end is the field's end, so the
// field is scanned once. Returns that end (a delimiter, a line end or the
// text end), or nullptr (nothing appended) when the field is not exactly one
// number: the general path then decides.
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
    if (value == 0 && *p == '-') builder.NoteNegativeZero();
    return q;
  }
  return nullptr;
}

// After this many rows, the columns reserve room for the whole chunk,
// estimated from the bytes those rows took.
constexpr size_t kRowsBeforeReserving = 1024;

void ReserveForEstimatedRows(CsvChunk& chunk, size_t position) {
  const size_t reserve_stop = chunk.reserve_stop != 0 ? chunk.reserve_stop : chunk.stop;
  const double chunk_bytes = static_cast<double>(reserve_stop - chunk.begin);
  double bytes_per_row = static_cast<double>(position - chunk.begin) / kRowsBeforeReserving;
  double rows = chunk_bytes / std::max(bytes_per_row, 1.0) * 1.05 + 16;
  // A string is 32 bytes: past 2 per text byte, a wrong guess (tiny first
  // rows) would reserve more address space than the machine may grant.
  double string_rows = std::min(rows, chunk_bytes / 16 + 16);
  for (ColumnBuilder& b : chunk.builders) {
    b.Reserve(static_cast<size_t>(b.kind() == Kind::kString ? string_rows : rows));
  }
}

Status RaggedRow(CsvTokenizer& tokenizer, size_t width, std::string_view source) {
  int64_t line = tokenizer.record_line();
  ASSIGN_OR_RETURN(size_t got, tokenizer.CountFieldsOfRecord());
  return InvalidArgumentError(fmt::format(
      "{}:{}: expected {} fields, got {}; every row needs one field per column (quote a field "
      "that contains the delimiter)",
      source, line, width, got));
}

// One chunk's pass; the rare paths are kept out of line so that the loop
// over numeric fields keeps its state in registers.
class ChunkReader {
 public:
  ChunkReader(const CsvChunkInput& input, CsvChunk& chunk)
      : input_(input),
        chunk_(chunk),
        tokenizer_(input.text, input.source, input.spec->csv.delimiter,
                   input.spec->max_field_bytes),
        scanner_(input.text, input.spec->csv.delimiter) {}

  Status Run() {
    const size_t width = chunk_.builders.size();
    const size_t max_field_bytes = input_.spec->max_field_bytes;
    const char delimiter = input_.spec->csv.delimiter;
    // A numeric missing token ("-999") must be seen before the number is.
    const bool fast = !input_.missing->any_numeric_start();
    const char* const end = input_.text.data() + input_.text.size();
    ColumnBuilder* const builders = chunk_.builders.data();
    tokenizer_.Seek(chunk_.begin, chunk_.line);
    chunk_.end = chunk_.begin;
    while (tokenizer_.NextRecord() && tokenizer_.record_begin() < chunk_.stop) {
      if (chunk_.row_begins.size() == kRowsBeforeReserving) {
        ReserveForEstimatedRows(chunk_, tokenizer_.record_begin());
      }
      chunk_.row_begins.push_back(tokenizer_.record_begin());
      chunk_.lines.push_back(tokenizer_.record_line());
      // The cursor lives in a register while fields are numbers ending in a
      // delimiter; the tokenizer is synced around the other paths.
      const char* p = tokenizer_.cursor();
      for (size_t c = 0; c < width; ++c) {
        ColumnBuilder& builder = builders[c];
        const char* q = fast ? TryNumber(p, end, delimiter, max_field_bytes, builder) : nullptr;
        if (q != nullptr && q != end && *q == delimiter) {
          p = q + 1;
          if (c + 1 == width) return RaggedRow(tokenizer_, width, input_.source);
          continue;
        }
        tokenizer_.set_cursor(p);
        bool ended = false;
        if (q != nullptr) {
          ended = tokenizer_.ConsumeFieldEndingAt(q);
        } else {
          RETURN_IF_ERROR(ReadField(c, builder, ended));
        }
        p = tokenizer_.cursor();
        if (ended != (c + 1 == width)) return RaggedRow(tokenizer_, width, input_.source);
      }
      tokenizer_.set_cursor(p);
      chunk_.end = static_cast<size_t>(p - input_.text.data());
    }
    return Status::Ok();
  }

 private:
  // The general path for the field at the tokenizer's cursor: a plain field
  // is delimited by the scanner, a quoted one (or one holding a quote) by the
  // tokenizer; AddText types it. Sets `ended` when the field ended the record.
  [[gnu::noinline]] Status ReadField(size_t index, ColumnBuilder& builder, bool& ended) {
    const char* const base = input_.text.data();
    const size_t size = input_.text.size();
    const size_t pos = static_cast<size_t>(tokenizer_.cursor() - base);
    const size_t q = scanner_.Next(pos);
    std::string_view cell;
    if (q < size && base[q] == '"') {
      ASSIGN_OR_RETURN(ended, tokenizer_.ReadField(index, cell));
    } else {
      ended = q == size || base[q] == '\n';
      size_t stop = q;
      if (ended && stop > pos && base[stop - 1] == '\r') --stop;  // CRLF
      if (stop - pos > input_.spec->max_field_bytes) {
        return tokenizer_.FieldTooLong(index, tokenizer_.line());
      }
      cell = std::string_view(base + pos, stop - pos);
      tokenizer_.ConsumeFieldEndingAt(base + q);
    }
    CellFit fit = builder.AddText(cell, *input_.missing);
    if (fit == CellFit::kOk) return Status::Ok();
    return CellError(fit, fmt::format("{}:{}", input_.source, tokenizer_.record_line()), builder,
                     cell);
  }

  const CsvChunkInput& input_;
  CsvChunk& chunk_;
  CsvTokenizer tokenizer_;
  FieldScanner scanner_;
};

}  // namespace

Status ParseCsvChunk(const CsvChunkInput& input, CsvChunk& chunk) {
  return ChunkReader(input, chunk).Run();
}

Status FillEarlierText(const CsvChunkInput& input, CsvChunk& chunk) {
  std::vector<ColumnBuilder>& builders = chunk.builders;
  size_t rows = 0;
  size_t last_column = 0;
  for (size_t c = 0; c < builders.size(); ++c) {
    if (builders[c].rows_needing_text() == 0) continue;
    rows = std::max(rows, builders[c].rows_needing_text());
    last_column = c;
  }
  CsvTokenizer tokenizer(input.text, input.source, input.spec->csv.delimiter,
                         input.spec->max_field_bytes);
  for (size_t r = 0; r < rows; ++r) {
    tokenizer.Seek(chunk.row_begins[r], chunk.lines[r]);
    for (size_t c = 0; c <= last_column; ++c) {
      std::string_view cell;
      // The first pass proved that the row has every field.
      ASSIGN_OR_RETURN([[maybe_unused]] bool ended, tokenizer.ReadField(c, cell));
      ColumnBuilder& b = builders[c];
      if (r >= b.rows_needing_text()) continue;
      CellFit fit = b.SetText(r, cell);
      if (fit != CellFit::kOk) {
        return CellError(fit, fmt::format("{}:{}", input.source, chunk.lines[r]), b, cell);
      }
    }
  }
  return Status::Ok();
}

}  // namespace citadel::data
