// Per-column statistics of a Table: the profile report artifact of a process
// step and the output of `citadel data profile`.
//
// ProfileTable returns
//   {"source", "rows", "columns": [ {column}, … ]}   columns in table order
// and every column object has
//   "name", "type" (ColumnTypeName), "count" (present cells), "missing",
//   "distinct" (distinct present values; all NaN count as one value, -0.0 as 0.0),
//   "top": [{"value", "count"}, …]   the most frequent values, count descending,
//                                    ties by ascending value; "value" is the
//                                    cell's text (Column::CellText form), so
//                                    NaN, inf and timestamps survive JSON
// plus, by type (statistics are null when there is no value to take them of):
//   int, float  "min", "max", "mean", "std" (population, ddof 0),
//               "quantiles": {"p25", "p50", "p75"} (linear interpolation),
//               "histogram": {"edges": [bins + 1], "counts": [bins]}: equal-width
//               bins over [min, max], each [edge, next edge) and the last closed;
//               one bin [min, min] when all values are equal; empty lists when
//               there is no value. Float columns take all of these over their
//               finite values only and add "nan" and "inf" (±inf) counts.
//   bool        "mean": the share of true cells.
//   timestamp   "min", "max", "quantiles" as ISO 8601 text (FormatTimestamp).
//   string      "mean_length", "max_length" in bytes, and "pii": {kind: cells}
//               from data::ScanColumn (kinds never seen are absent).
//
// The output is deterministic: every statistic is computed from the sorted
// values, never in hash-map order, so equal tables give equal bytes.
// Time and memory: O(n log n) and one sorted copy of a column at a time.
#pragma once

#include <cstddef>
#include <string>

#include "base/text/json.h"
#include "data/table/table.h"

namespace citadel::data {

struct ProfileOptions {
  size_t top_values = 10;       // entries in "top"
  size_t histogram_bins = 10;   // at least 1 is used
  size_t max_value_bytes = 80;  // longer "top" values are cut at a UTF-8 boundary, ending "…"
  bool scan_pii = true;         // "pii" for string columns
};

// See the file comment. Never fails: any Table can be described.
Json ProfileTable(const Table& table, const ProfileOptions& options = {});

// A fixed-width text table for people, one line per column (name, type,
// missing %, distinct, min, max, mean, top value), then one warning line per
// column holding PII. Accepts any Json: fields that are absent or of another
// type print as blanks, so a profile from an older build still formats.
std::string FormatProfile(const Json& profile);

}  // namespace citadel::data
