// Fitted affine scalers: standardize (more to come in this file: min_max,
// robust). Each learns one (center, scale) pair per column on the training
// rows and applies x' = (x - center) / scale to every row.
#include <fmt/format.h>

#include <cmath>

#include "data/transform/column_selection.h"
#include "data/transform/numeric/numeric_ops.h"

namespace citadel::data {
namespace {

// Shared by the affine scalers: the selection, and after fitting the resolved
// columns with their center and scale.
class AffineScaler : public ColumnTransform {
 public:
  AffineScaler(std::string_view op, ColumnSelection selection)
      : op_(op), selection_(std::move(selection)) {}

  std::string_view op() const override { return op_; }

  Status Apply(Table& table) const override {
    for (size_t i = 0; i < columns_.size(); ++i) {
      ASSIGN_OR_RETURN(Column * c, table.Get(columns_[i], op_));
      if (!c->is_numeric()) {
        return InvalidArgumentError(fmt::format("{}: column '{}' is {}, not numeric", op_,
                                                c->name, ColumnTypeName(c->type)));
      }
      Column out = Column::Empty(c->name, ColumnType::kFloat, c->sources);
      out.valid = c->valid;
      out.floats.resize(c->size());
      const double center = center_[i];
      const double inv = 1.0 / scale_[i];
      for (size_t r = 0; r < c->size(); ++r) {
        if (c->is_valid(r)) out.floats[r] = (c->AsDouble(r) - center) * inv;
      }
      *c = std::move(out);
    }
    return Status::Ok();
  }

  Json ToJson() const override {
    return Json{{"op", op_},
                {"columns", selection_.ToJson()},
                {"fitted", Json{{"columns", columns_}, {"center", center_}, {"scale", scale_}}}};
  }

  Status LoadFitted(const Json& fitted) override {
    if (!fitted.is_object() || !fitted.contains("columns") || !fitted.contains("center") ||
        !fitted.contains("scale")) {
      return InvalidArgumentError(
          fmt::format("{}: fitted needs \"columns\", \"center\" and \"scale\"", op_));
    }
    try {
      columns_ = fitted["columns"].get<std::vector<std::string>>();
      center_ = fitted["center"].get<std::vector<double>>();
      scale_ = fitted["scale"].get<std::vector<double>>();
    } catch (const Json::exception& e) {
      return InvalidArgumentError(fmt::format("{}: fitted: {}", op_, e.what()));
    }
    if (center_.size() != columns_.size() || scale_.size() != columns_.size()) {
      return InvalidArgumentError(
          fmt::format("{}: fitted center and scale must have one value per column", op_));
    }
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (!std::isfinite(center_[i]) || !std::isfinite(scale_[i]) || scale_[i] == 0) {
        return InvalidArgumentError(fmt::format(
            "{}: fitted center/scale of '{}' must be finite and scale non-zero", op_, columns_[i]));
      }
    }
    return Status::Ok();
  }

 protected:
  // Collects the present values of `column` on `rows`.
  static std::vector<double> Values(const Column& column, std::span<const size_t> rows) {
    std::vector<double> v;
    v.reserve(rows.size());
    for (size_t r : rows) {
      if (column.is_valid(r)) v.push_back(column.AsDouble(r));
    }
    return v;
  }

  // Resolves the selection; every column must be numeric.
  Result<std::vector<const Column*>> ResolveNumeric(const Table& table) {
    ASSIGN_OR_RETURN(columns_, selection_.Resolve(table, op_));
    std::vector<const Column*> out;
    for (const std::string& name : columns_) {
      const Column* c = table.Find(name);
      if (!c->is_numeric()) {
        return InvalidArgumentError(fmt::format(
            "{}: column '{}' is {}, not numeric; encode or cast it first", op_, name,
            ColumnTypeName(c->type)));
      }
      out.push_back(c);
    }
    return out;
  }

  Status CheckFinite(std::string_view column, double center, double scale) const {
    if (std::isfinite(center) && std::isfinite(scale)) return Status::Ok();
    return InvalidArgumentError(fmt::format(
        "{}: column '{}' has a non-finite {} on the training rows (it holds inf or NaN, or values "
        "near the double range); clip or impute it first",
        op_, column, std::isfinite(center) ? "scale" : "center"));
  }

  std::string_view op_;
  ColumnSelection selection_;
  std::vector<std::string> columns_;
  std::vector<double> center_;
  std::vector<double> scale_;
};

// (x - mean) / std, population std (ddof = 0, as sklearn's StandardScaler);
// 1 for a constant column or one with no present value on the training rows.
class Standardize : public AffineScaler {
 public:
  using AffineScaler::AffineScaler;

  Status Fit(const Table& table, std::span<const size_t> fit_rows) override {
    ASSIGN_OR_RETURN(std::vector<const Column*> cols, ResolveNumeric(table));
    center_.clear();
    scale_.clear();
    for (const Column* c : cols) {
      std::vector<double> v = Values(*c, fit_rows);
      double mean = 0, m2 = 0;
      // Welford: stable for large offsets where sum-of-squares cancels.
      for (size_t i = 0; i < v.size(); ++i) {
        double delta = v[i] - mean;
        mean += delta / static_cast<double>(i + 1);
        m2 += delta * (v[i] - mean);
      }
      double sd = v.empty() ? 0 : std::sqrt(m2 / static_cast<double>(v.size()));
      RETURN_IF_ERROR(CheckFinite(c->name, mean, sd));
      center_.push_back(mean);
      scale_.push_back(sd > 0 ? sd : 1.0);
    }
    return Status::Ok();
  }
};

template <typename T>
TransformFactory ScalerFactory(std::string_view op) {
  return [op](const SpecReader& item,
              const TransformEnv&) -> Result<std::unique_ptr<ColumnTransform>> {
    RETURN_IF_ERROR(item.ExpectObject({"op", "columns"}));
    ASSIGN_OR_RETURN(ColumnSelection sel, ColumnSelection::Parse(item, "columns", true));
    return std::unique_ptr<ColumnTransform>(std::make_unique<T>(op, std::move(sel)));
  };
}

}  // namespace

void AddScalerOps(std::vector<TransformOp>& ops) {
  ops.push_back({"standardize", ScalerFactory<Standardize>("standardize")});
}

}  // namespace citadel::data
