// Checking expectations against a table, and the report of what held.
//
// A failed expectation is a result, not an error: Validate returns a report
// that says, per expectation, whether it held, how many cells or rows
// violate it, and the first kMaxReportedRows of them with their origin
// ("customers.csv:1812"), so a person can find and fix the data. Errors are
// reserved for checks that cannot run (a column that does not exist, a
// column of the wrong type, an expression that is not a condition).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "data/table/table.h"
#include "data/validate/expectation.h"

namespace citadel::data {

inline constexpr size_t kMaxReportedRows = 20;  // per expectation, in ToJson
inline constexpr size_t kMaxSummaryRows = 5;    // per expectation, in Summary

// One violating cell (or row, or the table for row_count).
struct Violation {
  int64_t row_id = -1;  // 0-based data row in the source; -1 for row_count
  std::string where;    // table.Where(row): "customers.csv:1812"
  std::string column;   // "age"; "a, b" for unique combinations; "" for row_count
  std::string value;    // the cell text, shortened; "" when missing
  std::string detail;   // what is wrong with it: "is missing", "first seen at t.csv:3"
};

struct ExpectationResult {
  std::string name;
  Expectation::Kind kind = Expectation::Kind::kNotNull;
  Severity severity = Severity::kError;
  bool passed = true;
  size_t violations = 0;        // cells (not_null, range, allowed_values) or rows
  std::string rule;             // "allowed range 0 … 120", for people
  std::vector<Violation> rows;  // the first kMaxReportedRows violations, in row order
  Json spec;                    // the entry as written
};

class ValidationReport {
 public:
  std::vector<ExpectationResult> results;  // one per expectation, in spec order

  // True when an error-severity expectation failed: the step must stop.
  bool failed() const;

  // {"passed": all held, "failed": failed(), "expectations": [{"name", "kind",
  //  "severity", "passed", "violations", "rule", "rows": [{"row_id", "where",
  //  "column", "value", "detail"}], "spec"}]}
  Json ToJson() const;

  // For people: one line per failed expectation with its count, then its
  // first kMaxSummaryRows violations as
  //   "customers.csv:14: column 'age' = 150 (allowed range 0 … 120)".
  // "all N expectations held" when none failed.
  std::string Summary() const;
};

// Checks every expectation on `table`. Errors: InvalidArgument naming the
// expectation (its spec location and name) and the column that is absent or
// of a type the check cannot handle.
Result<ValidationReport> Validate(const Table& table, const std::vector<Expectation>& expectations);

}  // namespace citadel::data
