// Expressions over the rows of a Table: the small language behind the
// `filter` clean op, the `derive` transform and `expr` expectations.
//
//   age >= 18 and country not in ("XX", "ZZ")
//   weight / pow(height / 100, 2)
//   if(is_null(income), 0, log1p(income))
//   signup >= "2020-01-01" and weekday(signup) < 5
//
// Syntax, loosest binding first:
//   or ||   and &&   not !   == != (<>) < <= > >= in (…) not in (…)   + -   * / %   unary -
// Comparisons do not chain (`a < b < c` is an error). Values: integers,
// decimals (1.5, .5, 1e3), "strings" or 'strings' with \\ \" \' \n \t \r
// escapes, true, false, null; columns by name ([A-Za-z_][A-Za-z0-9_]*) or in
// backquotes for any other name (`unit price`). Keywords are case-insensitive.
// The lists of `in` hold constants only. Functions: see functions.cc.
//
// Semantics, evaluated column-at-a-time over the whole table:
//   * Types come from the columns: int, float and bool are numbers (bool as
//     0 / 1), timestamps compare with timestamps; a string constant compared
//     with (or passed where the function wants) a timestamp is read as one
//     (`signup >= "2020-01-01"`). Mismatches — a string column against a
//     number, arithmetic on strings, `and` on numbers — are errors found
//     before any row is read, naming the expression, the operand and types.
//   * Arithmetic (+ - * / %) and the numeric functions return float.
//     Division follows IEEE 754 (x / 0 is ±inf, 0 / 0 is NaN); % is C's fmod
//     (the sign of the dividend: -7 % 3 is -1; x % 0 is NaN). Columns are
//     read as doubles for arithmetic, so ints beyond 2^53 lose precision
//     there; comparisons and `in` between ints stay exact.
//   * Comparisons and logic return bool. NaN compares false with everything
//     (!= true), as in IEEE 754; NaN is a value, not missing.
//   * Missing cells (null) propagate as in SQL: arithmetic, comparisons and
//     most functions of a missing operand are missing; `and` / `or` are
//     three-valued (false and null = false, true or null = true); is_null,
//     is_nan, coalesce and if decide for themselves (see functions.cc).
//     Comparing with the literal null is an error pointing to is_null().
//
// Limits keep hostile text from exhausting memory or the stack: at most
// kMaxExpressionLength bytes, kMaxNesting levels of parentheses, calls and
// unary operators, kMaxTreeDepth levels in the parsed tree.
//
// An Expression is immutable and safe to share between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "data/table/table.h"

namespace citadel::data {

namespace expr {
struct Ast;
}  // namespace expr

inline constexpr size_t kMaxExpressionLength = 64 * 1024;
inline constexpr size_t kMaxNesting = 64;
inline constexpr size_t kMaxTreeDepth = 256;

class Expression {
 public:
  // The text it was parsed from, verbatim.
  const std::string& text() const;
  const expr::Ast& ast() const { return *ast_; }

 private:
  friend Result<Expression> ParseExpression(std::string_view text);
  explicit Expression(std::shared_ptr<const expr::Ast> ast) : ast_(std::move(ast)) {}

  // Shared because it is immutable: copies of an Expression (one per fitted
  // transform, per report) need not duplicate the tree.
  std::shared_ptr<const expr::Ast> ast_;
};

// Parses `text`. Errors are InvalidArgument and read
//   "expression 'age >= ' at offset 7: expected a value"
// (offset in bytes from the start of the text).
Result<Expression> ParseExpression(std::string_view text);

// The columns the expression reads, each once, in order of first appearance.
std::vector<std::string> ReferencedColumns(const Expression& expression);

// The type of the column Evaluate would produce on `table` (a missing-only
// expression such as `null` is float). Errors: an unknown column (naming it
// and listing the table's columns) or a type mismatch, naming the expression.
Result<ColumnType> TypeOf(const Expression& expression, const Table& table);

// Evaluates the expression on every row of `table` into a column named
// `output_name` whose sources are the union of the referenced columns'
// sources. Errors as TypeOf.
Result<Column> Evaluate(const Expression& expression, const Table& table,
                        std::string_view output_name);

// For conditions (filter, expectations): one byte per row, 1 where the
// expression is true, 0 where it is false or missing. Errors as TypeOf, and
// an expression that is not bool; all prefixed with `what` (who asks).
Result<std::vector<uint8_t>> EvaluateCondition(const Expression& expression, const Table& table,
                                               std::string_view what);

}  // namespace citadel::data
