// log1p: x' = log(1 + x), computed by std::log1p so small x keep their
// precision; the usual compression of skewed counts and amounts.
//
//   { op: log1p, columns: [income, visits] }
//   { op: log1p, columns: debt, on_negative: null }
//
// Spec fields: columns (required; int, float or bool columns, which become
// float); on_negative: fail (default) | null. No learned parameters; fitted:
// {"columns": [...]}, the resolved selection.
//
// The domain is x > -1. A value x <= -1 (x = -1 would give -inf, below it
// NaN), including -inf, is an error naming table.Where(row), the column and
// the value, or with on_negative: null becomes missing. NaN stays NaN, +inf
// stays +inf, missing cells stay missing. The table is unchanged when Apply
// fails.
#include <fmt/format.h>

#include <cmath>

#include "data/transform/column_selection.h"
#include "data/transform/numeric/numeric_ops.h"

namespace citadel::data {
namespace {

constexpr std::string_view kOp = "log1p";

class Log1p : public ColumnTransform {
 public:
  Log1p(ColumnSelection selection, bool null_on_negative)
      : selection_(std::move(selection)), null_on_negative_(null_on_negative) {}

  std::string_view op() const override { return kOp; }

  Status Fit(const Table& table, std::span<const size_t>) override {
    ASSIGN_OR_RETURN(columns_, ResolveNumeric(selection_, table, kOp));
    return Status::Ok();
  }

  Status Apply(Table& table) const override {
    ASSIGN_OR_RETURN(std::vector<Column*> cols, GetNumericColumns(table, columns_, kOp));
    std::vector<Column> out;
    for (const Column* c : cols) {
      Column o = Column::Empty(c->name, ColumnType::kFloat, c->sources);
      o.valid = c->valid;
      o.floats.assign(c->size(), 0.0);
      for (size_t r = 0; r < c->size(); ++r) {
        if (!c->is_valid(r)) continue;
        const double x = c->AsDouble(r);
        if (x <= -1) {
          if (!null_on_negative_) {
            return CellError(table, r, kOp, *c,
                             "is <= -1, outside the domain of log(1 + x); fix or clip the "
                             "value, or set on_negative: null to make such cells missing");
          }
          o.valid[r] = 0;
          continue;
        }
        o.floats[r] = std::log1p(x);  // NaN → NaN, +inf → +inf
      }
      out.push_back(std::move(o));
    }
    for (size_t i = 0; i < cols.size(); ++i) *cols[i] = std::move(out[i]);
    return Status::Ok();
  }

  Json ToJson() const override {
    return {{"op", kOp},
            {"columns", selection_.ToJson()},
            {"on_negative", null_on_negative_ ? "null" : "fail"},
            {"fitted", {{"columns", columns_}}}};
  }

  Status LoadFitted(const Json& fitted) override {
    ASSIGN_OR_RETURN(columns_, FittedField<std::vector<std::string>>(fitted, "columns", kOp));
    return Status::Ok();
  }

 private:
  ColumnSelection selection_;
  bool null_on_negative_;
  std::vector<std::string> columns_;
};

Result<std::unique_ptr<ColumnTransform>> MakeLog1p(const SpecReader& item, const TransformEnv&) {
  RETURN_IF_ERROR(item.ExpectObject({"op", "columns", "on_negative"}));
  ASSIGN_OR_RETURN(ColumnSelection sel, ColumnSelection::Parse(item));
  ASSIGN_OR_RETURN(bool null_on_negative, FailOrNull(item, "on_negative"));
  return std::unique_ptr<ColumnTransform>(
      std::make_unique<Log1p>(std::move(sel), null_on_negative));
}

}  // namespace

void AddLog1pOps(std::vector<TransformOp>& ops) { ops.push_back({"log1p", MakeLog1p}); }

}  // namespace citadel::data
