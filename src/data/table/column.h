// Column: one typed column of a Table, with a validity mask for missing cells
// and the input columns it was derived from (column-level lineage).
//
// Storage is one vector per representation; exactly one is used, by type:
//   kInt, kBool (0 / 1), kTimestamp (microseconds since the Unix epoch, UTC)
//                                          → ints
//   kFloat                                 → floats
//   kString (categorical or free text)     → strings
// A missing cell has valid[row] == 0; its storage slot holds 0, 0.0 or "".
// NaN and ±inf are float *values*, not missing: ingest maps the usual
// missing-value tokens to missing instead, so a NaN that survives is real data
// that each transform must handle explicitly.
//
// A plain value type; not thread-safe for concurrent mutation.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace citadel::data {

enum class ColumnType : uint8_t { kInt, kFloat, kBool, kString, kTimestamp };

// "int", "float", "bool", "string", "timestamp".
std::string_view ColumnTypeName(ColumnType type);

// Inverse of ColumnTypeName; "categorical" and "text" are accepted as kString.
std::optional<ColumnType> ParseColumnType(std::string_view name);

struct Column {
  std::string name;
  ColumnType type = ColumnType::kFloat;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::vector<std::string> strings;
  std::vector<uint8_t> valid;  // 1 = present, 0 = missing; size() == rows
  // Names of the ingested input columns this column derives from, sorted and
  // unique. An ingested column lists itself.
  std::vector<std::string> sources;

  // An empty column of `type` (no rows).
  static Column Empty(std::string name, ColumnType type, std::vector<std::string> sources);
  // A float column with every cell present.
  static Column Floats(std::string name, std::vector<double> values,
                       std::vector<std::string> sources);

  size_t size() const { return valid.size(); }
  bool is_valid(size_t row) const { return valid[row] != 0; }
  // Int, float and bool columns: usable as model features.
  bool is_numeric() const {
    return type == ColumnType::kInt || type == ColumnType::kFloat || type == ColumnType::kBool;
  }
  // The cell as a double: numeric and timestamp columns (µs) only.
  // Precondition: !is_string() and is_valid(row).
  double AsDouble(size_t row) const {
    return type == ColumnType::kFloat ? floats[row] : static_cast<double>(ints[row]);
  }
  bool is_string() const { return type == ColumnType::kString; }

  size_t CountMissing() const;

  // Appends one missing cell / one value. The value overloads must match the
  // column's representation (ints for int/bool/timestamp).
  void AppendMissing();
  void Append(int64_t value);
  void Append(double value);
  void Append(std::string value);

  // Keeps the rows listed in `rows` (ascending, unique), in that order.
  void KeepRows(std::span<const size_t> rows);

  // The cell as text for messages and reports: "" when missing, shortest
  // round-trip form for floats, ISO 8601 for timestamps, "true"/"false".
  std::string CellText(size_t row) const;
};

// `text` cut to at most `max_bytes` on a UTF-8 character boundary, with "…"
// appended when cut: for quoting cells and expressions in messages.
std::string ShortenForMessage(std::string_view text, size_t max_bytes = 40);

// Adds the names in `from` to the sorted unique list `into`.
void MergeSources(std::vector<std::string>& into, const std::vector<std::string>& from);

// A proleptic Gregorian date.
struct CivilDate {
  int64_t year, month, day;
};
// Days since 1970-01-01 → date (Howard Hinnant's civil_from_days), exact for
// every day an int64 microsecond timestamp can reach.
CivilDate CivilFromDays(int64_t days);

// Microseconds since the epoch → "YYYY-MM-DDTHH:MM:SS[.ffffff]Z".
std::string FormatTimestamp(int64_t micros);

// "YYYY-MM-DD", "YYYY-MM-DD[T ]HH:MM[:SS[.fraction]]" with an optional "Z" or
// ±HH:MM offset (normalised to UTC) → microseconds since the epoch.
std::optional<int64_t> ParseTimestamp(std::string_view text);

}  // namespace citadel::data
