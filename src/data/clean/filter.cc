// Clean op `filter`: keeps the rows where an expression is true.
//
//   { op: filter, expr: 'age >= 18 and country != "XX"' }
//
// A row where the expression is missing (null) is dropped, as in SQL's WHERE.
// The expression is parsed when the spec is read, so a syntax error points
// to its line; types are checked against the table when the op runs.
#include <fmt/format.h>

#include "data/clean/clean_ops.h"
#include "data/expr/expression.h"

namespace citadel::data {
namespace {

class Filter : public RowOperation {
 public:
  Filter(Expression expression, std::string where)
      : expression_(std::move(expression)), where_(std::move(where)) {}

  std::string_view op() const override { return "filter"; }

  Result<size_t> Run(Table& table) const override {
    ASSIGN_OR_RETURN(std::vector<uint8_t> keep,
                     EvaluateCondition(expression_, table, fmt::format("{} (filter)", where_)));
    return KeepWhere(table, keep);
  }

  Json ToJson() const override { return Json{{"op", "filter"}, {"expr", expression_.text()}}; }

 private:
  Expression expression_;
  std::string where_;
};

}  // namespace

Result<std::unique_ptr<RowOperation>> MakeFilter(const SpecReader& item) {
  RETURN_IF_ERROR(item.ExpectObject({"op", "expr"}));
  ASSIGN_OR_RETURN(std::string text, item.String("expr"));
  Result<Expression> expression = ParseExpression(text);
  if (!expression.ok()) return item.FieldError("expr", expression.status().message());
  return std::unique_ptr<RowOperation>(
      std::make_unique<Filter>(std::move(*expression), SpecLocation(item)));
}

}  // namespace citadel::data
