// Binding: checks an expression against a table's column types before any
// row is read, and records per node the type of its result and what the
// evaluator needs (the column, constants converted to the compared type).
// Internal to src/data/expr.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "data/expr/ast.h"
#include "data/expr/expression.h"
#include "data/table/table.h"

namespace citadel::data::expr {

// The type of a node's result. kNull: the constant null (every row missing).
enum class VType : uint8_t { kNull, kInt, kFloat, kBool, kString, kTimestamp };

std::string_view VTypeName(VType type);
bool IsNumber(VType type);  // int, float or bool
// The column type a result of `type` is stored as (kNull → float).
ColumnType ToColumnType(VType type);

struct BoundNode {
  VType type = VType::kNull;
  const Column* column = nullptr;  // kColumn
  // A string constant read as a timestamp (then type is kTimestamp).
  int64_t timestamp = 0;
  // Comparisons and `in`: compare as doubles (else in the values' own
  // representation: ints, strings).
  bool compare_as_float = false;
  // `in`: the listed constants, sorted, in the representation compared.
  std::vector<int64_t> int_set;
  std::vector<double> float_set;
  std::vector<std::string> string_set;
};

struct Plan {
  const Ast* ast = nullptr;
  std::vector<BoundNode> nodes;      // parallel to ast->nodes
  std::vector<std::string> sources;  // union of the referenced columns' sources
};

// Errors: InvalidArgument naming the expression, and the column (an unknown
// one, with the table's columns listed) or the operands and their types.
// The plan points into `table` and `expression`; both must outlive it.
Result<Plan> Bind(const Expression& expression, const Table& table);

}  // namespace citadel::data::expr
