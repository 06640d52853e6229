// clip and winsorize: bound every value of numeric columns to [min, max].
//
//   { op: clip, columns: [age], min: 0, max: 120 }
//       fixed bounds from the spec; at least one of min and max, min <= max.
//   { op: winsorize, columns: income, lower: 0.01, upper: 0.99 }
//       per-column bounds fitted on the training rows: the `lower` and
//       `upper` quantiles (0 <= lower < upper <= 1, defaults 0.01 and 0.99)
//       by numpy's default linear method.
//
// `columns` is required; the columns must be int or float (a bool column is
// refused: bounding 0/1 values is a mistake, not a transform). Fitted:
// clip {"columns": [...]}; winsorize {"columns", "min": [...], "max": [...]}.
//
// A float column stays float. An int column stays int when every bound it is
// clipped to is an integer, and becomes float otherwise (as pandas' clip).
// Missing cells stay missing. NaN stays NaN: it has no order, so no bound
// applies (impute it first if it must go). ±inf are values beyond every
// bound and are clipped to the bound on their side where there is one.
// winsorize refuses a column with no present value on the training rows,
// and a quantile that lands on an infinity (lower `upper`, or clip first).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "data/transform/column_selection.h"
#include "data/transform/numeric/numeric_ops.h"
#include "data/transform/numeric/order_statistics.h"

namespace citadel::data {
namespace {

constexpr double kTwo63 = 9223372036854775808.0;  // 2^63, exact as a double

bool IsInt64Valued(const std::optional<double>& x) {
  return !x || (*x == std::trunc(*x) && *x >= -kTwo63 && *x < kTwo63);
}

Status CheckClippable(const Column& c, std::string_view op, bool at_apply) {
  if (c.type == ColumnType::kInt || c.type == ColumnType::kFloat) return Status::Ok();
  return InvalidArgumentError(fmt::format(
      "{}: column '{}' is {}{}; {} applies to int and float columns", op, c.name,
      ColumnTypeName(c.type), at_apply ? " here but was int or float when fitted" : "", op));
}

// Shared by clip and winsorize: after fitting, the resolved columns with the
// bounds of each (absent = unbounded on that side).
class Clipper : public ColumnTransform {
 public:
  Clipper(std::string_view op, ColumnSelection selection)
      : op_(op), selection_(std::move(selection)) {}

  std::string_view op() const override { return op_; }

  Status Apply(Table& table) const override {
    std::vector<Column*> cols;
    for (const std::string& name : columns_) {
      ASSIGN_OR_RETURN(Column * c, table.Get(name, op_));
      RETURN_IF_ERROR(CheckClippable(*c, op_, true));
      cols.push_back(c);
    }
    for (size_t i = 0; i < cols.size(); ++i) Clip(*cols[i], lo_[i], hi_[i]);
    return Status::Ok();
  }

 protected:
  // Missing cells keep their storage; the loops select instead of branching
  // so that they vectorise.
  static void Clip(Column& c, std::optional<double> lo, std::optional<double> hi) {
    const size_t n = c.size();
    const uint8_t* valid = c.valid.data();
    if (c.type == ColumnType::kInt && IsInt64Valued(lo) && IsInt64Valued(hi)) {
      const int64_t l = lo ? static_cast<int64_t>(*lo) : std::numeric_limits<int64_t>::min();
      const int64_t h = hi ? static_cast<int64_t>(*hi) : std::numeric_limits<int64_t>::max();
      int64_t* cells = c.ints.data();
      for (size_t r = 0; r < n; ++r) {
        const int64_t x = cells[r];
        cells[r] = valid[r] != 0 ? std::clamp(x, l, h) : x;
      }
      return;
    }
    if (c.type == ColumnType::kInt) {
      std::vector<double> floats(n);
      for (size_t r = 0; r < n; ++r) floats[r] = static_cast<double>(c.ints[r]);
      c.floats = std::move(floats);
      std::vector<int64_t>().swap(c.ints);
      c.type = ColumnType::kFloat;
    }
    // An absent bound is an infinite one: no value is beyond it. Comparisons
    // with NaN are false, so NaN stays NaN.
    constexpr double kInf = std::numeric_limits<double>::infinity();
    const double l = lo.value_or(-kInf);
    const double h = hi.value_or(kInf);
    double* cells = c.floats.data();
    for (size_t r = 0; r < n; ++r) {
      const double x = cells[r];
      double y = x < l ? l : x;
      y = y > h ? h : y;
      cells[r] = valid[r] != 0 ? y : x;
    }
  }

  Status ResolveColumns(const Table& table) {
    ASSIGN_OR_RETURN(columns_, selection_.Resolve(table, op_));
    for (const std::string& name : columns_) {
      RETURN_IF_ERROR(CheckClippable(*table.Find(name), op_, false));
    }
    return Status::Ok();
  }

  std::string_view op_;
  ColumnSelection selection_;
  std::vector<std::string> columns_;
  std::vector<std::optional<double>> lo_;
  std::vector<std::optional<double>> hi_;
};

class FixedClip : public Clipper {
 public:
  FixedClip(ColumnSelection selection, std::optional<double> min, std::optional<double> max)
      : Clipper("clip", std::move(selection)), min_(min), max_(max) {}

  Status Fit(const Table& table, std::span<const size_t>) override {
    RETURN_IF_ERROR(ResolveColumns(table));
    SpreadBounds();
    return Status::Ok();
  }

  Json ToJson() const override {
    Json j = {{"op", op_}, {"columns", selection_.ToJson()}, {"fitted", {{"columns", columns_}}}};
    if (min_) j["min"] = *min_;
    if (max_) j["max"] = *max_;
    return j;
  }

  Status LoadFitted(const Json& fitted) override {
    ASSIGN_OR_RETURN(columns_, FittedField<std::vector<std::string>>(fitted, "columns", op_));
    SpreadBounds();
    return Status::Ok();
  }

 private:
  void SpreadBounds() {
    lo_.assign(columns_.size(), min_);
    hi_.assign(columns_.size(), max_);
  }

  std::optional<double> min_, max_;
};

class Winsorize : public Clipper {
 public:
  Winsorize(ColumnSelection selection, double lower, double upper)
      : Clipper("winsorize", std::move(selection)), lower_(lower), upper_(upper) {}

  Status Fit(const Table& table, std::span<const size_t> fit_rows) override {
    RETURN_IF_ERROR(ResolveColumns(table));
    lo_.clear();
    hi_.clear();
    for (const std::string& name : columns_) {
      std::vector<double> v = TrainingValues(*table.Find(name), fit_rows);
      if (v.empty()) {
        return InvalidArgumentError(fmt::format(
            "{}: column '{}' has no present value on the {} training rows to take quantiles "
            "of; impute it first or leave it out",
            op_, name, fit_rows.size()));
      }
      const double qs[] = {lower_, upper_};
      SelectForQuantiles(v, qs);
      double lo = Quantile(v, lower_);
      double hi = Quantile(v, upper_);
      if (!std::isfinite(lo) || !std::isfinite(hi)) {
        return InvalidArgumentError(fmt::format(
            "{}: the {} quantile of column '{}' on the training rows is infinite (the column "
            "holds inf); narrow lower/upper or clip the column first",
            op_, std::isfinite(lo) ? upper_ : lower_, name));
      }
      lo_.push_back(lo);
      hi_.push_back(hi);
    }
    return Status::Ok();
  }

  Json ToJson() const override {
    std::vector<double> lo, hi;
    for (size_t i = 0; i < lo_.size(); ++i) {
      lo.push_back(*lo_[i]);
      hi.push_back(*hi_[i]);
    }
    return {{"op", op_},
            {"columns", selection_.ToJson()},
            {"lower", lower_},
            {"upper", upper_},
            {"fitted", {{"columns", columns_}, {"min", lo}, {"max", hi}}}};
  }

  Status LoadFitted(const Json& fitted) override {
    ASSIGN_OR_RETURN(columns_, FittedField<std::vector<std::string>>(fitted, "columns", op_));
    ASSIGN_OR_RETURN(auto lo, FittedField<std::vector<double>>(fitted, "min", op_));
    ASSIGN_OR_RETURN(auto hi, FittedField<std::vector<double>>(fitted, "max", op_));
    if (lo.size() != columns_.size() || hi.size() != columns_.size()) {
      return InvalidArgumentError(
          fmt::format("{}: fitted min and max must have one value per column", op_));
    }
    lo_.clear();
    hi_.clear();
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (!std::isfinite(lo[i]) || !std::isfinite(hi[i]) || lo[i] > hi[i]) {
        return InvalidArgumentError(fmt::format(
            "{}: fitted bounds of '{}' must be finite with min <= max", op_, columns_[i]));
      }
      lo_.push_back(lo[i]);
      hi_.push_back(hi[i]);
    }
    return Status::Ok();
  }

 private:
  double lower_, upper_;
};

Result<std::optional<double>> OptionalBound(const SpecReader& item, std::string_view key) {
  if (!item.Has(key)) return std::optional<double>();
  constexpr double kMax = std::numeric_limits<double>::max();
  ASSIGN_OR_RETURN(double v, item.Number(key, -kMax, kMax));
  return std::optional<double>(v);
}

Result<std::unique_ptr<ColumnTransform>> MakeClip(const SpecReader& item, const TransformEnv&) {
  RETURN_IF_ERROR(item.ExpectObject({"op", "columns", "min", "max"}));
  ASSIGN_OR_RETURN(ColumnSelection sel, ColumnSelection::Parse(item));
  ASSIGN_OR_RETURN(std::optional<double> min, OptionalBound(item, "min"));
  ASSIGN_OR_RETURN(std::optional<double> max, OptionalBound(item, "max"));
  if (!min && !max) return item.Error("clip needs min, max or both");
  if (min && max && *min > *max) {
    return item.FieldError("min", fmt::format("min ({}) is above max ({})", *min, *max));
  }
  return std::unique_ptr<ColumnTransform>(std::make_unique<FixedClip>(std::move(sel), min, max));
}

Result<std::unique_ptr<ColumnTransform>> MakeWinsorize(const SpecReader& item,
                                                       const TransformEnv&) {
  RETURN_IF_ERROR(item.ExpectObject({"op", "columns", "lower", "upper"}));
  ASSIGN_OR_RETURN(ColumnSelection sel, ColumnSelection::Parse(item));
  ASSIGN_OR_RETURN(double lower, item.Number("lower", 0, 1, 0.01));
  ASSIGN_OR_RETURN(double upper, item.Number("upper", 0, 1, 0.99));
  if (!(lower < upper)) {
    return item.FieldError("lower", fmt::format("lower ({}) must be below upper ({}); they are "
                                                "quantiles in [0, 1]",
                                                lower, upper));
  }
  return std::unique_ptr<ColumnTransform>(
      std::make_unique<Winsorize>(std::move(sel), lower, upper));
}

}  // namespace

void AddClipOps(std::vector<TransformOp>& ops) {
  ops.push_back({"clip", MakeClip});
  ops.push_back({"winsorize", MakeWinsorize});
}

}  // namespace citadel::data
