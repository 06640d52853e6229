// Transform `derive`: a new column computed row by row from an expression.
//
//   { op: derive, name: bmi, expr: 'weight / pow(height / 100, 2)' }
//   { op: derive, name: age, expr: 'clip(age, 0, 120)', replace: true }
//
// It learns nothing (fitted: {}); the stored entry keeps the expression text,
// so serving parses and evaluates exactly the same expression on the request.
// The output may not be the label, nor be computed from it: such a feature
// would leak the answer and cannot exist at serving time.
#include <fmt/format.h>

#include <algorithm>

#include "data/expr/expression.h"
#include "data/transform/transform.h"

namespace citadel::data {
namespace {

class Derive : public ColumnTransform {
 public:
  Derive(std::string name, Expression expression, bool replace)
      : name_(std::move(name)), expression_(std::move(expression)), replace_(replace) {}

  std::string_view op() const override { return "derive"; }

  Status Fit(const Table& table, std::span<const size_t>) override {
    RETURN_IF_ERROR(Check(table));
    return TypeOf(expression_, table).status().WithContext(What());
  }

  Status Apply(Table& table) const override {
    RETURN_IF_ERROR(Check(table));
    Result<Column> column = Evaluate(expression_, table, name_);
    if (!column.ok()) return column.status().WithContext(What());
    if (replace_) {
      table.Put(std::move(*column));
      return Status::Ok();
    }
    return table.Add(std::move(*column));
  }

  Json ToJson() const override {
    return Json{{"op", "derive"},
                {"name", name_},
                {"expr", expression_.text()},
                {"replace", replace_},
                {"fitted", Json::object()}};
  }

  Status LoadFitted(const Json& fitted) override {
    if (!fitted.is_object() || !fitted.empty()) {
      return InvalidArgumentError("derive: fitted must be {} (derive learns no parameters)");
    }
    return Status::Ok();
  }

 private:
  std::string What() const { return fmt::format("derive '{}'", ShortenForMessage(name_)); }

  Status Check(const Table& table) const {
    if (!table.label.empty()) {
      std::vector<std::string> read = ReferencedColumns(expression_);
      if (name_ == table.label || std::find(read.begin(), read.end(), table.label) != read.end()) {
        return InvalidArgumentError(fmt::format(
            "{}: the expression {} the label column '{}'; a feature computed from the label "
            "leaks the answer and cannot be computed when serving",
            What(), name_ == table.label ? "writes" : "reads", table.label));
      }
    }
    if (!replace_ && table.Find(name_) != nullptr) {
      return InvalidArgumentError(
          fmt::format("{}: a column named '{}' already exists; choose another name, or set "
                      "replace: true to overwrite it",
                      What(), ShortenForMessage(name_)));
    }
    return Status::Ok();
  }

  std::string name_;
  Expression expression_;
  bool replace_;
};

Result<std::unique_ptr<ColumnTransform>> MakeDerive(const SpecReader& item, const TransformEnv&) {
  RETURN_IF_ERROR(item.ExpectObject({"op", "name", "expr", "replace"}));
  ASSIGN_OR_RETURN(std::string name, item.String("name"));
  if (name.empty()) return item.FieldError("name", "the output column name must not be empty");
  ASSIGN_OR_RETURN(std::string text, item.String("expr"));
  ASSIGN_OR_RETURN(bool replace, item.Bool("replace", false));
  Result<Expression> expression = ParseExpression(text);
  if (!expression.ok()) return item.FieldError("expr", expression.status().message());
  return std::unique_ptr<ColumnTransform>(
      std::make_unique<Derive>(std::move(name), std::move(*expression), replace));
}

}  // namespace

void AddExpressionTransformOps(std::vector<TransformOp>& ops) {
  ops.push_back({"derive", MakeDerive});
}

}  // namespace citadel::data
