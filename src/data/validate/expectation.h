// Expectations: the `expect:` section of a process step — checks on the
// table after cleaning and before the split, each reporting the rows that
// violate it.
//
//   expect:
//     - { not_null: [customer_id, age] }
//     - { range: { column: age, min: 0, max: 120 } }     # inclusive; NaN violates
//     - { unique: customer_id }                           # or a list: the combination
//     - { allowed_values: { column: country, values: [DE, FR, US] } }
//     - { row_count: { min: 1000, max: 5000000 } }
//     - { expr: 'income >= 0 or is_null(income)', name: non_negative_income }
//
// Every entry may add `severity: error | warn` (default error: a failed
// error-severity expectation fails the step; a warning is only reported) and
// `name:` (default derived from the check, e.g. "range(age)").
//
// Missing cells: not_null counts them; range and allowed_values skip them;
// unique skips rows with a missing key cell (as SQL's UNIQUE does); for expr
// a row where the expression is missing (null) is a violation, like false.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "base/text/spec_reader.h"
#include "data/expr/expression.h"

namespace citadel::data {

enum class Severity { kError, kWarn };

std::string_view SeverityName(Severity severity);  // "error", "warn"

struct Expectation {
  enum class Kind { kNotNull, kRange, kUnique, kAllowedValues, kRowCount, kExpr };

  Kind kind = Kind::kNotNull;
  std::string name;  // as written, or derived from the check
  Severity severity = Severity::kError;
  // not_null, unique: one or more; range, allowed_values: exactly one.
  std::vector<std::string> columns;
  std::optional<double> min, max;        // range (values), row_count (rows)
  std::vector<Json> values;              // allowed_values, scalars as written
  std::optional<Expression> expression;  // expr
  Json spec;                             // the entry as written, for reports
  std::string where;                     // "spec.yaml:14: expect/2", for errors
};

// "not_null", "range", "unique", "allowed_values", "row_count", "expr".
std::string_view KindName(Expectation::Kind kind);

// Reads the `expect:` list (an absent section reads as no expectations).
// Errors come from SpecReader ("spec.yaml:LINE: expect/2/range/min: …"):
// unknown or missing fields, bad bounds, an expression that does not parse.
// Columns are checked against the table by Validate.
Result<std::vector<Expectation>> ParseExpectations(const SpecReader& list);

}  // namespace citadel::data
