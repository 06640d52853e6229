// Small queries on a parsed Expression, and message helpers.
#include "data/expr/expression.h"

#include <algorithm>

#include "data/expr/ast.h"

namespace citadel::data {

namespace expr {

std::string_view OpText(Op op) {
  switch (op) {
    case Op::kNeg:
    case Op::kSub:
      return "-";
    case Op::kNot:
      return "not";
    case Op::kAdd:
      return "+";
    case Op::kMul:
      return "*";
    case Op::kDiv:
      return "/";
    case Op::kMod:
      return "%";
    case Op::kEq:
      return "==";
    case Op::kNe:
      return "!=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
    case Op::kAnd:
      return "and";
    case Op::kOr:
      return "or";
  }
  return "?";
}

}  // namespace expr

const std::string& Expression::text() const { return ast_->text; }

std::vector<std::string> ReferencedColumns(const Expression& expression) {
  std::vector<std::string> names;
  // Nodes are stored operands-first, so a left-to-right reading order is the
  // order of the spans, not of the nodes.
  std::vector<const expr::Node*> columns;
  for (const expr::Node& n : expression.ast().nodes) {
    if (n.kind == expr::NodeKind::kColumn) columns.push_back(&n);
  }
  std::stable_sort(columns.begin(), columns.end(),
                   [](const expr::Node* a, const expr::Node* b) { return a->begin < b->begin; });
  for (const expr::Node* n : columns) {
    if (std::find(names.begin(), names.end(), n->column) == names.end()) {
      names.push_back(n->column);
    }
  }
  return names;
}

}  // namespace citadel::data
