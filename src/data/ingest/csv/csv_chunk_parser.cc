#include "data/ingest/csv/csv_chunk_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <memory>

#include "data/ingest/cells/plain_number.h"
#include "data/ingest/csv/csv_tokenizer.h"
#include "data/ingest/csv/field_end_index.h"
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
  // The row offsets and lines are the chunk's own (the merge concatenates
  // them): growing them by doubling would copy them and touch twice their
  // memory. A record takes at least two bytes.
  const double own_bytes = static_cast<double>(chunk.stop - chunk.begin);
  const size_t own_rows = static_cast<size_t>(
      std::min(own_bytes / std::max(bytes_per_row, 1.0) * 1.05, own_bytes / 2) + 16);
  chunk.row_begins.reserve(own_rows);
  chunk.lines.reserve(own_rows);
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
        scanner_(input.text, input.spec->csv.delimiter),
        index_(input.text, input.spec->csv.delimiter, chunk.builders.size(), input.kernel),
        // A numeric missing token ("-999") must be seen before the number
        // is, and a field over a max_field_bytes below what the plain parser
        // takes must be reported.
        plain_numbers_(!input.missing->any_numeric_start() &&
                       input.spec->max_field_bytes >= kPlainFieldMaxBytes),
        numbers_(chunk.builders.size()),
        plain_(std::make_unique<bool[]>(chunk.builders.size())) {}

  Status Run() {
    const size_t width = chunk_.builders.size();
    const size_t max_field_bytes = input_.spec->max_field_bytes;
    const char delimiter = input_.spec->csv.delimiter;
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
      bool read = false;
      if (input_.plain_records && width > 0) RETURN_IF_ERROR(ReadPlainRecord(read));
      if (!read) RETURN_IF_ERROR(ReadRecord(width, max_field_bytes, delimiter, end, builders));
      chunk_.end = static_cast<size_t>(tokenizer_.cursor() - input_.text.data());
    }
    return Status::Ok();
  }

 private:
  // The fast path, for a plain record: `width` fields without a quote,
  // ending with '\n' (the last record of a text without one, a ragged record
  // or one holding a quote is left to ReadRecord; `read` stays false and
  // nothing is appended). Field ends come from the index. Numbers of int and
  // float columns are taken apart for the whole record first and converted
  // after, so that the divisions of a record's floats overlap instead of
  // each waiting behind its field's digit arithmetic; any other field is
  // typed by AddText as ReadField would. Errors: those of the cells.
  Status ReadPlainRecord(bool& read) {
    const size_t width = chunk_.builders.size();
    const uint32_t* ends = index_.Ends(tokenizer_.record_begin(), width);
    if (ends == nullptr) return Status::Ok();
    const char* const text = input_.text.data();
    const char* const window = text + index_.window_begin();
    const char delimiter = input_.spec->csv.delimiter;
    for (size_t c = 0; c + 1 < width; ++c) {
      if (window[ends[c]] != delimiter) return Status::Ok();
    }
    const char* const record_end = window + ends[width - 1];
    if (*record_end != '\n') return Status::Ok();
    read = true;
    index_.Consume(width);

    const char* const record = tokenizer_.cursor();
    PlainDecimal* const numbers = numbers_.data();
    bool* const plain = plain_.get();
    // The plain parser reads kPlainNumberReadBytes from a field's start: the
    // last records of a text are left to the general rule.
    if (plain_numbers_ &&
        static_cast<size_t>(record_end - text) + kPlainNumberReadBytes <= input_.text.size()) {
      const char* field = record;
      for (size_t c = 0; c + 1 < width; ++c) {
        const char* const stop = window + ends[c];
        plain[c] = ParsePlainDecimal(field, static_cast<size_t>(stop - field), numbers[c]);
        field = stop + 1;
      }
      size_t size = static_cast<size_t>(record_end - field);
      if (size > 0 && field[size - 1] == '\r') --size;  // CRLF
      plain[width - 1] = ParsePlainDecimal(field, size, numbers[width - 1]);
    } else {
      std::fill(plain, plain + width, false);
    }

    ColumnBuilder* const builders = chunk_.builders.data();
    for (size_t c = 0; c < width; ++c) {
      ColumnBuilder& builder = builders[c];
      if (plain[c]) {
        if (builder.kind() == Kind::kFloat) {
          builder.AppendFloat(PlainDecimalToDouble(numbers[c]));
          continue;
        }
        int64_t value;
        if (builder.kind() == Kind::kInt && PlainDecimalToInt64(numbers[c], value)) {
          builder.AppendInt(value);
          if (value == 0 && numbers[c].negative) builder.NoteNegativeZero();
          continue;
        }
      }
      const char* const begin = c == 0 ? record : window + ends[c - 1] + 1;
      size_t size = static_cast<size_t>(window + ends[c] - begin);
      if (c + 1 == width && size > 0 && begin[size - 1] == '\r') --size;
      RETURN_IF_ERROR(AddPlainField(c, builder, std::string_view(begin, size)));
    }
    tokenizer_.set_cursor(record_end);
    tokenizer_.ConsumeFieldEndingAt(record_end);
    return Status::Ok();
  }

  // A field of a plain record that the number fast path did not take.
  [[gnu::noinline]] Status AddPlainField(size_t index, ColumnBuilder& builder,
                                         std::string_view cell) {
    if (cell.size() > input_.spec->max_field_bytes) {
      return tokenizer_.FieldTooLong(index, tokenizer_.record_line());
    }
    CellFit fit = builder.AddText(cell, *input_.missing);
    if (fit == CellFit::kOk) return Status::Ok();
    return CellError(fit, fmt::format("{}:{}", input_.source, tokenizer_.record_line()), builder,
                     cell);
  }

  // The general path for the record at the tokenizer's cursor, field by
  // field: a number that ends at a delimiter is parsed straight from the
  // text, any other field by ReadField.
  [[gnu::noinline]] Status ReadRecord(size_t width, size_t max_field_bytes, char delimiter,
                                      const char* end, ColumnBuilder* builders) {
    // A numeric missing token ("-999") must be seen before the number is.
    const bool fast = !input_.missing->any_numeric_start();
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
    return Status::Ok();
  }

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
  FieldEndIndex index_;
  const bool plain_numbers_;  // whether plain numbers take the fast path
  // One per column: the record's fields taken apart, and which were plain.
  std::vector<PlainDecimal> numbers_;
  std::unique_ptr<bool[]> plain_;
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
