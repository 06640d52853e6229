// Fitted affine scalers. Each learns one (center, scale) pair per column on
// the training rows and maps every row with x' = (x - center) / scale + offset.
//
//   { op: standardize, columns: all_numeric }
//       center = mean, scale = population std (ddof 0, as sklearn's
//       StandardScaler), offset 0.
//   { op: min_max, columns: [a, b], feature_range: [0, 1] }
//       center = min, scale = (max - min) / (hi - lo), offset = lo: the
//       training min maps to lo and the max to hi (sklearn's MinMaxScaler);
//       held-out values outside the training range map outside [lo, hi].
//   { op: robust, columns: x, quantile_range: [25, 75] }
//       center = median, scale = q(hi) - q(lo) in percent (the IQR by
//       default), quantiles by numpy's default linear method, offset 0.
//
// `columns` defaults to all_numeric; the columns must be int, float or bool
// and become float. Fitted: {"columns": [...], "center": [...], "scale": [...]}.
//
// Degenerate columns follow sklearn: a zero scale (a constant column, a zero
// IQR, max == min) becomes 1, so min_max maps a constant training column to
// lo. A column with no present value on the training rows (all missing, or
// no training rows) is passed through unscaled (center = offset, scale 1).
//
// Missing cells stay missing. NaN is disregarded when fitting and stays NaN
// (sklearn treats NaN as missing). ±inf on the training rows make mean, std,
// min or max non-finite, which is an error naming the column; robust only
// fails when a quantile it uses lands on an infinity. At apply, ±inf map to
// ±inf.
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "data/transform/column_selection.h"
#include "data/transform/numeric/numeric_ops.h"
#include "data/transform/numeric/order_statistics.h"
#include "data/transform/parallel_columns.h"

namespace citadel::data {
namespace {

struct CenterScale {
  double center = 0;
  double scale = 1;
};

// Shared by the affine scalers: the selection and offset from the spec, and
// after fitting the resolved columns with their center and scale.
class AffineScaler : public ColumnTransform {
 public:
  AffineScaler(std::string_view op, ColumnSelection selection, double offset)
      : op_(op), selection_(std::move(selection)), offset_(offset) {}

  std::string_view op() const override { return op_; }

  Status Fit(const Table& table, std::span<const size_t> fit_rows) override {
    ASSIGN_OR_RETURN(columns_, ResolveNumeric(selection_, table, op_));
    center_.assign(columns_.size(), 0.0);
    scale_.assign(columns_.size(), 1.0);
    return ForEachColumn(columns_.size(), [&](size_t i) -> Status {
      const std::string& name = columns_[i];
      std::vector<double> v;
      TrainingValues(*table.Find(name), fit_rows, v);
      CenterScale cs{offset_, 1.0};  // nothing to learn from: pass through
      if (!v.empty()) {
        cs = Learn(v);
        if (!std::isfinite(cs.center) || !std::isfinite(cs.scale)) {
          return InvalidArgumentError(fmt::format(
              "{}: column '{}' has a non-finite {} on the training rows (it holds inf, or values "
              "near the double range); clip, winsorize or impute it first",
              op_, name, std::isfinite(cs.center) ? "scale" : "center"));
        }
        if (cs.scale == 0) cs.scale = 1;
      }
      center_[i] = cs.center;
      scale_[i] = cs.scale;
      return Status::Ok();
    });
  }

  Status Apply(Table& table) const override {
    ASSIGN_OR_RETURN(std::vector<Column*> cols, GetNumericColumns(table, columns_, op_));
    return ForEachColumn(cols.size(), [&](size_t i) -> Status {
      Column* c = cols[i];
      const size_t n = c->size();
      const uint8_t* valid = c->valid.data();
      const double center = center_[i], scale = scale_[i], offset = offset_;
      // Every cell is computed and missing ones then zeroed, so the loops have
      // no branch and vectorise; a float column is rewritten in place.
      if (c->type == ColumnType::kFloat) {
        double* cells = c->floats.data();
        for (size_t r = 0; r < n; ++r) {
          const double y = (cells[r] - center) / scale + offset;
          cells[r] = valid[r] != 0 ? y : 0.0;
        }
      } else {
        std::vector<double> out(n);
        const int64_t* in = c->ints.data();
        for (size_t r = 0; r < n; ++r) {
          const double y = (static_cast<double>(in[r]) - center) / scale + offset;
          out[r] = valid[r] != 0 ? y : 0.0;
        }
        c->floats = std::move(out);
        std::vector<int64_t>().swap(c->ints);
        c->type = ColumnType::kFloat;
      }
      return Status::Ok();
    });
  }

  Json ToJson() const override {
    Json j = {{"op", op_},
              {"columns", selection_.ToJson()},
              {"fitted", Json{{"columns", columns_}, {"center", center_}, {"scale", scale_}}}};
    AddSpecFields(j);
    return j;
  }

  Status LoadFitted(const Json& fitted) override {
    ASSIGN_OR_RETURN(columns_, FittedField<std::vector<std::string>>(fitted, "columns", op_));
    ASSIGN_OR_RETURN(center_, FittedField<std::vector<double>>(fitted, "center", op_));
    ASSIGN_OR_RETURN(scale_, FittedField<std::vector<double>>(fitted, "scale", op_));
    if (center_.size() != columns_.size() || scale_.size() != columns_.size()) {
      return InvalidArgumentError(
          fmt::format("{}: fitted center and scale must have one value per column", op_));
    }
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (!std::isfinite(center_[i]) || !std::isfinite(scale_[i]) || !(scale_[i] > 0)) {
        return InvalidArgumentError(fmt::format(
            "{}: fitted center/scale of '{}' must be finite and scale positive", op_, columns_[i]));
      }
    }
    return Status::Ok();
  }

 protected:
  // The statistic of one column from its training values. Precondition:
  // `values` is non-empty and free of NaN; Learn may reorder it.
  virtual CenterScale Learn(std::vector<double>& values) const = 0;
  // Spec fields beyond op and columns, for ToJson.
  virtual void AddSpecFields(Json& j) const {}

  std::string_view op_;
  ColumnSelection selection_;
  double offset_;
  std::vector<std::string> columns_;
  std::vector<double> center_;
  std::vector<double> scale_;
};

class Standardize : public AffineScaler {
 public:
  explicit Standardize(ColumnSelection selection)
      : AffineScaler("standardize", std::move(selection), 0) {}

 protected:
  CenterScale Learn(std::vector<double>& v) const override {
    // Welford over the values in ascending order: stable for large offsets
    // where sum-of-squares cancels. The order is part of the result (rounding
    // differs with it), so it stays ascending as the stored fits expect.
    SortValues(v);
    double mean = 0, m2 = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      // A value equal to a finite mean leaves mean and m2 bit for bit as they
      // are (delta is ±0, and neither can be -0), so runs of such values —
      // the zeros of a one-hot column — cost no division.
      if (v[i] == mean && std::isfinite(mean)) continue;
      double delta = v[i] - mean;
      mean += delta / static_cast<double>(i + 1);
      m2 += delta * (v[i] - mean);
    }
    return {mean, std::sqrt(m2 / static_cast<double>(v.size()))};
  }
};

class MinMax : public AffineScaler {
 public:
  MinMax(ColumnSelection selection, double lo, double hi)
      : AffineScaler("min_max", std::move(selection), lo), lo_(lo), hi_(hi) {}

 protected:
  CenterScale Learn(std::vector<double>& v) const override {
    double min = v[0], max = v[0];
    for (double x : v) {
      min = x < min ? x : min;
      max = x > max ? x : max;
    }
    double range = max - min;
    if (range == 0) range = 1;  // sklearn's handling of a constant column
    return {min, range / (hi_ - lo_)};
  }
  void AddSpecFields(Json& j) const override { j["feature_range"] = {lo_, hi_}; }

 private:
  double lo_, hi_;
};

class Robust : public AffineScaler {
 public:
  Robust(ColumnSelection selection, double lo, double hi)
      : AffineScaler("robust", std::move(selection), 0), lo_(lo), hi_(hi) {}

 protected:
  CenterScale Learn(std::vector<double>& v) const override {
    const double qs[] = {0.5, hi_ / 100, lo_ / 100};
    SelectForQuantiles(v, qs);
    return {Quantile(v, qs[0]), Quantile(v, qs[1]) - Quantile(v, qs[2])};
  }
  void AddSpecFields(Json& j) const override { j["quantile_range"] = {lo_, hi_}; }

 private:
  double lo_, hi_;
};

// Reads a [low, high] field with min ≤ low < high ≤ max (`fallback` when
// absent); `rule` states that constraint in the error.
Result<std::pair<double, double>> Range(const SpecReader& item, std::string_view key, double min,
                                        double max, std::pair<double, double> fallback,
                                        std::string_view rule) {
  if (!item.Has(key)) return fallback;
  ASSIGN_OR_RETURN(std::vector<double> v, NumberList(item, key, 2));
  if (!(v[0] < v[1]) || v[0] < min || v[1] > max || !std::isfinite(v[1] - v[0])) {
    return item.FieldError(
        key, fmt::format("expected [low, high] with {}, got [{}, {}]", rule, v[0], v[1]));
  }
  return std::pair{v[0], v[1]};
}

Result<std::unique_ptr<ColumnTransform>> MakeStandardize(const SpecReader& item,
                                                         const TransformEnv&) {
  RETURN_IF_ERROR(item.ExpectObject({"op", "columns"}));
  ASSIGN_OR_RETURN(ColumnSelection sel, ColumnSelection::Parse(item, "columns", true));
  return std::unique_ptr<ColumnTransform>(std::make_unique<Standardize>(std::move(sel)));
}

Result<std::unique_ptr<ColumnTransform>> MakeMinMax(const SpecReader& item, const TransformEnv&) {
  RETURN_IF_ERROR(item.ExpectObject({"op", "columns", "feature_range"}));
  ASSIGN_OR_RETURN(ColumnSelection sel, ColumnSelection::Parse(item, "columns", true));
  constexpr double kMax = std::numeric_limits<double>::max();
  ASSIGN_OR_RETURN(auto range, Range(item, "feature_range", -kMax, kMax, {0.0, 1.0}, "low < high"));
  return std::unique_ptr<ColumnTransform>(
      std::make_unique<MinMax>(std::move(sel), range.first, range.second));
}

Result<std::unique_ptr<ColumnTransform>> MakeRobust(const SpecReader& item, const TransformEnv&) {
  RETURN_IF_ERROR(item.ExpectObject({"op", "columns", "quantile_range"}));
  ASSIGN_OR_RETURN(ColumnSelection sel, ColumnSelection::Parse(item, "columns", true));
  ASSIGN_OR_RETURN(auto range, Range(item, "quantile_range", 0, 100, {25.0, 75.0},
                                     "0 <= low < high <= 100 (percentiles)"));
  return std::unique_ptr<ColumnTransform>(
      std::make_unique<Robust>(std::move(sel), range.first, range.second));
}

}  // namespace

void AddScalerOps(std::vector<TransformOp>& ops) {
  ops.push_back({"min_max", MakeMinMax});
  ops.push_back({"robust", MakeRobust});
  ops.push_back({"standardize", MakeStandardize});
}

}  // namespace citadel::data
