// scale_pixels: brings raw image intensities (one column per pixel, as in
// MNIST-style tables) to the range a model expects.
//
//   { op: scale_pixels }                                  x / 255, all numeric features
//   { op: scale_pixels, columns: all_numeric, max: 255, center: true }
//
// Spec fields: columns (default all_numeric; int, float or bool columns,
// which become float); max: the largest possible intensity (default 255, for
// 8-bit images; finite, > 0); center: false (default) | true.
//
// x' = x / max. With center: true, x' = (x / max - mean) / std, where mean
// and population std are fitted over the scaled values of all selected
// columns on the training rows together: one scalar pair, as image
// normalisation does (MNIST's 0.1307 / 0.3081), not one per pixel column,
// which would divide by ~0 on always-black border pixels. A std of 0
// becomes 1; no present value on the training rows is an error.
// Fitted: {"columns": [...]}, plus "mean" and "std" with center: true.
//
// A value outside [0, max], NaN and ±inf included, is an error naming
// table.Where(row), the column and the value — at apply, and at fit where
// center: true reads the values: intensities beyond max mean that max is
// wrong for this data. Missing cells stay missing. The table is unchanged
// when Apply fails.
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "data/transform/column_selection.h"
#include "data/transform/numeric/numeric_ops.h"

namespace citadel::data {
namespace {

constexpr std::string_view kOp = "scale_pixels";

class ScalePixels : public ColumnTransform {
 public:
  ScalePixels(ColumnSelection selection, double max, bool center)
      : selection_(std::move(selection)), max_(max), center_(center) {}

  std::string_view op() const override { return kOp; }

  Status Fit(const Table& table, std::span<const size_t> fit_rows) override {
    ASSIGN_OR_RETURN(columns_, ResolveNumeric(selection_, table, kOp));
    mean_ = 0;
    std_ = 1;
    if (!center_) return Status::Ok();
    double mean = 0, m2 = 0;
    size_t n = 0;
    for (const std::string& name : columns_) {
      const Column& c = *table.Find(name);
      for (size_t r : fit_rows) {
        if (!c.is_valid(r)) continue;
        RETURN_IF_ERROR(CheckRange(table, c, r));
        // Welford over all cells: one pass, stable for millions of pixels.
        const double x = c.AsDouble(r) / max_;
        ++n;
        const double delta = x - mean;
        mean += delta / static_cast<double>(n);
        m2 += delta * (x - mean);
      }
    }
    if (n == 0) {
      return InvalidArgumentError(fmt::format(
          "{}: center: true needs pixel values, but the selected columns have no present value "
          "on the {} training rows",
          kOp, fit_rows.size()));
    }
    mean_ = mean;
    std_ = std::sqrt(m2 / static_cast<double>(n));
    if (std_ == 0) std_ = 1;
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
        RETURN_IF_ERROR(CheckRange(table, *c, r));
        const double x = c->AsDouble(r) / max_;
        o.floats[r] = center_ ? (x - mean_) / std_ : x;
      }
      out.push_back(std::move(o));
    }
    for (size_t i = 0; i < cols.size(); ++i) *cols[i] = std::move(out[i]);
    return Status::Ok();
  }

  Json ToJson() const override {
    Json fitted = {{"columns", columns_}};
    if (center_) {
      fitted["mean"] = mean_;
      fitted["std"] = std_;
    }
    return {{"op", kOp},
            {"columns", selection_.ToJson()},
            {"max", max_},
            {"center", center_},
            {"fitted", fitted}};
  }

  Status LoadFitted(const Json& fitted) override {
    ASSIGN_OR_RETURN(columns_, FittedField<std::vector<std::string>>(fitted, "columns", kOp));
    mean_ = 0;
    std_ = 1;
    if (!center_) return Status::Ok();
    ASSIGN_OR_RETURN(mean_, FittedField<double>(fitted, "mean", kOp));
    ASSIGN_OR_RETURN(std_, FittedField<double>(fitted, "std", kOp));
    if (!std::isfinite(mean_) || !std::isfinite(std_) || !(std_ > 0)) {
      return InvalidArgumentError(
          fmt::format("{}: fitted mean and std must be finite and std positive", kOp));
    }
    return Status::Ok();
  }

 private:
  // Precondition: the cell is present.
  Status CheckRange(const Table& table, const Column& c, size_t row) const {
    const double x = c.AsDouble(row);
    if (x >= 0 && x <= max_) return Status::Ok();  // false for NaN
    return CellError(table, row, kOp, c,
                     fmt::format("is outside [0, {}]; set max: to the largest intensity these "
                                 "images can hold, or clip the column first",
                                 max_));
  }

  ColumnSelection selection_;
  double max_;
  bool center_;
  std::vector<std::string> columns_;
  double mean_ = 0;
  double std_ = 1;
};

Result<std::unique_ptr<ColumnTransform>> MakeScalePixels(const SpecReader& item,
                                                         const TransformEnv&) {
  RETURN_IF_ERROR(item.ExpectObject({"op", "columns", "max", "center"}));
  ASSIGN_OR_RETURN(ColumnSelection sel, ColumnSelection::Parse(item, "columns", true));
  ASSIGN_OR_RETURN(double max, item.Number("max", 0, std::numeric_limits<double>::max(), 255.0));
  if (!(max > 0)) return item.FieldError("max", "max must be above 0 (255 for 8-bit images)");
  ASSIGN_OR_RETURN(bool center, item.Bool("center", false));
  return std::unique_ptr<ColumnTransform>(
      std::make_unique<ScalePixels>(std::move(sel), max, center));
}

}  // namespace

void AddPixelOps(std::vector<TransformOp>& ops) {
  ops.push_back({"scale_pixels", MakeScalePixels});
}

}  // namespace citadel::data
