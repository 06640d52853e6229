// InputSpec: the `input:` mapping of a process step, and the readers that
// turn the file(s) it names into a typed Table.
//
// Spec syntax (exactly one of csv:, jsonl:, idx:):
//   input:
//     csv: data/customers.csv      # relative paths resolve against the spec's folder
//     label: churned                # column name, or an integer index ("-1" = last)
//     header: auto                  # true | false | auto (CSV only)
//     delimiter: ";"                # one character (CSV only)
//     schema: {age: int, plan: categorical, signup: timestamp}
//     missing_values: ["", NA, "?"] # replaces the default list
//     max_field_bytes: 4194304
//   input: {jsonl: events.jsonl.gz, label: clicked}
//   input: {idx: {images: t10k-images-idx3-ubyte.gz, labels: t10k-labels-idx1-ubyte.gz}}
//
// What the readers produce (every file may be gzip, detected by content):
//   - Table::source is the path as resolved (spec folder / path as written);
//     row_ids are 0-based data rows; lines are the 1-based line where each
//     row starts (CSV, JSON Lines) or the 1-based record number (IDX).
//   - CSV: RFC 4180 as in csv_reader.h. Columns are typed by inference
//     (column_builder.h, cell_text.h): int, else float, else bool, else
//     timestamp, else string, over the present cells; a column with no present
//     cell is float, all missing. Declared columns (schema:) are converted or
//     the read fails naming file:line, column, value and the type expected;
//     undeclared columns are inferred. Text cells must be valid UTF-8.
//   - JSON Lines: one object per line, blank lines skipped. Columns are the
//     union of the keys in first-seen order; a key absent from a line, or
//     null, is missing. JSON numbers are int (float once any is fractional or
//     beyond int64), booleans bool, strings are inferred like CSV cells (so
//     ISO dates become timestamps unless declared string). A nested object or
//     array is an error naming line and key. At most 4 cells (columns × rows)
//     per input byte + 2^20, so keys that differ on every line cannot blow up
//     memory.
//   - IDX: images [N, …] become int columns pixel_0 … pixel_{F-1} (F = the
//     product of the other dimensions; float element types give float
//     columns; a 1-D array gives one column "value"); labels [N] (integer
//     type) become int column "label", which is the label unless `label:`
//     says otherwise. Declared types may be int, float or string here.
//   - The label column is typed like any other; "" means no label.
//
// Stateless functions; thread-safe.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/text/spec_reader.h"
#include "data/ingest/csv/csv_reader.h"
#include "data/table/column.h"
#include "data/table/table.h"

namespace citadel::data {

struct InputSpec {
  enum class Format { kCsv, kJsonl, kIdx };
  Format format = Format::kCsv;
  std::filesystem::path path;        // CSV / JSON Lines file, or the IDX images file
  std::filesystem::path idx_labels;  // IDX only: the labels file ("" = none)
  CsvOptions csv;                    // header and delimiter (CSV only)
  std::string label;                 // column name or integer index as text; "" = no label
  // Declared types. The spec's mapping reaches us with its keys sorted (Json
  // objects are), so entries are in name order; the table keeps file order.
  std::vector<std::pair<std::string, ColumnType>> schema;
  // Cells equal to one of these (after trimming spaces and tabs) are missing.
  std::vector<std::string> missing_values = {"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"};
  size_t max_field_bytes = size_t{1} << 20;  // a longer CSV field or JSON string is an error

  // Every file read, for recording the step's inputs.
  std::vector<std::filesystem::path> Files() const;
};

// Reads a step's `input:` mapping (see the file comment); relative paths
// resolve against `spec_dir`. Errors come from SpecReader, so they read
// "spec.yaml:LINE: steps/0/input/schema/age: …"; unknown fields are errors.
Result<InputSpec> ParseInputSpec(const SpecReader& input, const std::filesystem::path& spec_dir);

// Reads the input into a Table and resolves the label. Errors: the file
// cannot be read (NotFound, …), malformed content, cells that do not fit a
// declared type, declared columns absent from the file, a label that names no
// column (all InvalidArgument naming file and line where there is one).
Result<Table> ReadTable(const InputSpec& spec);

// Reads one file with default options, for `citadel data profile FILE`: IDX
// when the (decompressed) content starts with an IDX magic, JSON Lines for
// .jsonl / .ndjson (optionally .gz), CSV otherwise. No label.
Result<Table> ReadTableFile(const std::filesystem::path& path);

// How a CSV parse is spread over threads. The text is cut into chunks at
// record starts, one per thread, parsed at once and merged: the table and any
// error are exactly those of a one-thread parse. Inputs too small for two
// chunks of min_chunk_bytes are parsed on the calling thread.
struct CsvParallelism {
  size_t threads = 0;  // 0: one per CPU this process may run on (at most 16)
  size_t min_chunk_bytes = size_t{4} << 20;
};

// ReadTable with a chosen CSV parallelism (for tests and benchmarks; the
// overload above uses the defaults). Other formats ignore it.
Result<Table> ReadTable(const InputSpec& spec, const CsvParallelism& parallelism);

// The readers behind ReadTable, on decoded bytes (no label resolution);
// `source` names the file in messages and becomes Table::source.
Result<Table> ParseCsvTable(std::string_view text, std::string source, const InputSpec& spec);
Result<Table> ParseCsvTable(std::string_view text, std::string source, const InputSpec& spec,
                            const CsvParallelism& parallelism);
Result<Table> ParseJsonlTable(std::string_view text, std::string source, const InputSpec& spec);
// `labels`: the labels file's bytes, or nullopt for none; `labels_source`
// names it in messages.
Result<Table> ParseIdxTable(std::string_view images, std::string source,
                            std::optional<std::string_view> labels, std::string_view labels_source,
                            const InputSpec& spec);

}  // namespace citadel::data
