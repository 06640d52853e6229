// impute: fills missing cells with one value per column, learned on the
// training rows or given in the spec.
//
//   { op: impute, columns: [age, income], strategy: median, add_indicator: true }
//   { op: impute, columns: city, strategy: mode }
//   { op: impute, columns: all_string, strategy: constant, value: "unknown" }
//
// Spec fields:
//   columns        required; any column type, subject to the strategy.
//   strategy       required: mean | median (int, float, bool columns), mode
//                  (most frequent value, ties → the smallest number, false,
//                  earliest timestamp or byte-wise first string) or constant.
//   value          constant only, and then required: a number for int and
//                  float columns, true/false for bool, a string for string
//                  columns and an ISO 8601 string for timestamp columns.
//   add_indicator  false by default; true appends a bool column
//                  "<name>_missing" per column (after the existing columns,
//                  sources = the column's), true where the cell was missing.
//                  It is added for every listed column, whether or not the
//                  training rows had gaps, so the output schema is fixed.
// Fitted: {"columns": [...], "types": [...], "fills": [...]} — the type of
// each column at fit, which Apply requires again, and its fill value (an
// integer for int and timestamp (µs) columns, a bool for bool columns).
//
// Missing cells are those marked missing, and NaN in float columns: pandas
// and sklearn treat NaN as missing, so it is left out of the statistics,
// replaced at apply and flagged by the indicator. ±inf are values: a mean or
// median that comes out infinite is an error, as is any non-finite fill.
//
// An int or bool column whose fill is not one of its own values (a mean of
// 2.5, a median of 0.5) becomes a float column — always, not only where a
// cell was filled, so the output type does not depend on the data applied.
// A column with no present value on the training rows (all missing, or no
// training rows) cannot be fitted by mean, median or mode: that is an error
// suggesting strategy: constant or dropping the column. String fills longer
// than 64 KiB are refused: copying one into every missing cell could
// multiply the table's size.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "data/transform/column_selection.h"
#include "data/transform/numeric/numeric_ops.h"
#include "data/transform/numeric/order_statistics.h"
#include "data/transform/parallel_columns.h"

namespace citadel::data {
namespace {

constexpr std::string_view kOp = "impute";
constexpr size_t kMaxFillBytes = 64 * 1024;
constexpr double kTwo63 = 9223372036854775808.0;  // 2^63, exact as a double

enum class Strategy { kMean, kMedian, kMode, kConstant };

// The value written into one column's missing cells, and the column's type
// afterwards: its own type, or kFloat for an int or bool column whose fill
// is fractional.
struct Fill {
  ColumnType out_type = ColumnType::kFloat;
  int64_t integer = 0;  // int, bool, timestamp
  double real = 0;      // float
  std::string text;     // string
};

bool IsIntegral(long double x) { return x == std::trunc(x) && x >= -kTwo63 && x < kTwo63; }

bool IsMissing(const Column& c, size_t row) {
  return !c.is_valid(row) || (c.type == ColumnType::kFloat && std::isnan(c.floats[row]));
}

// The add_indicator column of `c`: bool, true where the cell is missing.
Column MissingIndicator(const Column& c) {
  Column ind = Column::Empty(c.name + "_missing", ColumnType::kBool, c.sources);
  const size_t n = c.size();
  ind.valid.assign(n, 1);
  ind.ints.resize(n);
  for (size_t r = 0; r < n; ++r) ind.ints[r] = c.valid[r] == 0 ? 1 : 0;
  if (c.type == ColumnType::kFloat) {
    for (size_t r = 0; r < n; ++r) ind.ints[r] |= std::isnan(c.floats[r]) ? 1 : 0;
  }
  return ind;
}

// A numeric fill for a column of type `type`: int and bool keep their type
// when `x` is one of their values. `x` is a long double so that an int
// statistic keeps all 64 bits.
Fill NumericFill(ColumnType type, long double x) {
  Fill f;
  if ((type == ColumnType::kInt && IsIntegral(x)) ||
      (type == ColumnType::kBool && (x == 0 || x == 1))) {
    f.out_type = type;
    f.integer = static_cast<int64_t>(x);
  } else {
    f.real = static_cast<double>(x);
  }
  return f;
}

// The median of the present cells of an int or bool column on `rows`,
// computed on the integers: exact where a double would round large values.
// Precondition: at least one present cell.
long double IntMedian(const Column& c, std::span<const size_t> rows) {
  std::vector<int64_t> v;
  v.reserve(rows.size());
  for (size_t r : rows) {
    if (c.is_valid(r)) v.push_back(c.ints[r]);
  }
  // Selection instead of a sort: after it, v[mid] is in place and v[0, mid)
  // holds the smaller half, whose maximum is the (mid − 1)-th element.
  const size_t mid = v.size() / 2;
  const int64_t upper = SelectInt(v, mid);
  if (v.size() % 2 == 1) return static_cast<long double>(upper);
  const int64_t lower = *std::max_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(mid));
  return (static_cast<long double>(lower) + static_cast<long double>(upper)) / 2;
}

Json FillToJson(const Fill& f) {
  switch (f.out_type) {
    case ColumnType::kFloat:
      return f.real;
    case ColumnType::kBool:
      return f.integer != 0;
    case ColumnType::kString:
      return f.text;
    case ColumnType::kInt:
    case ColumnType::kTimestamp:
      break;
  }
  return f.integer;
}

bool IsInt64(const Json& j) {
  return j.is_number_integer() &&
         (!j.is_number_unsigned() ||
          j.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));
}

// Inverse of FillToJson for a column of type `type`; nullopt when `j` cannot
// fill such a column.
std::optional<Fill> FillFromJson(ColumnType type, const Json& j) {
  Fill f;
  f.out_type = type;
  if (type == ColumnType::kString && j.is_string() &&
      j.get<std::string>().size() <= kMaxFillBytes) {
    f.text = j.get<std::string>();
  } else if (type == ColumnType::kBool && j.is_boolean()) {
    f.integer = j.get<bool>() ? 1 : 0;
  } else if ((type == ColumnType::kInt || type == ColumnType::kTimestamp) && IsInt64(j)) {
    f.integer = j.get<int64_t>();
  } else if ((type == ColumnType::kInt || type == ColumnType::kBool ||
              type == ColumnType::kFloat) &&
             j.is_number_float() && std::isfinite(j.get<double>())) {
    f.out_type = ColumnType::kFloat;
    f.real = j.get<double>();
  } else if (type == ColumnType::kFloat && IsInt64(j)) {
    f.real = j.get<double>();
  } else {
    return std::nullopt;
  }
  return f;
}

// The most frequent element of sorted `v`; the first (smallest) on ties.
template <typename T>
T SortedMode(const std::vector<T>& v) {
  size_t best = 0, best_count = 0;
  for (size_t i = 0; i < v.size();) {
    size_t j = i;
    while (j < v.size() && v[j] == v[i]) ++j;
    if (j - i > best_count) {
      best = i;
      best_count = j - i;
    }
    i = j;
  }
  return v[best];
}

class Impute : public ColumnTransform {
 public:
  Impute(ColumnSelection selection, std::string strategy_name, Strategy strategy, Json value,
         bool add_indicator)
      : selection_(std::move(selection)),
        strategy_name_(std::move(strategy_name)),
        strategy_(strategy),
        value_(std::move(value)),
        add_indicator_(add_indicator) {}

  std::string_view op() const override { return kOp; }

  Status Fit(const Table& table, std::span<const size_t> fit_rows) override {
    ASSIGN_OR_RETURN(columns_, selection_.Resolve(table, kOp));
    types_.assign(columns_.size(), ColumnType::kFloat);
    fills_.assign(columns_.size(), Fill{});
    return ForEachColumn(columns_.size(), [&](size_t i) -> Status {
      const std::string& name = columns_[i];
      const Column& c = *table.Find(name);
      RETURN_IF_ERROR(CheckIndicatorFree(table, name));
      ASSIGN_OR_RETURN(Fill fill, Learn(c, fit_rows));
      if (fill.out_type == ColumnType::kFloat && !std::isfinite(fill.real)) {
        return InvalidArgumentError(fmt::format(
            "{}: the {} of column '{}' on the training rows is not finite (the column holds "
            "inf); clip it first, or use strategy: constant",
            kOp, strategy_name_, name));
      }
      if (fill.text.size() > kMaxFillBytes) {
        return InvalidArgumentError(fmt::format(
            "{}: the fill value of column '{}' is {} bytes, over the {} byte limit (a value that "
            "long is free text, not a category); use strategy: constant with a short value",
            kOp, name, fill.text.size(), kMaxFillBytes));
      }
      types_[i] = c.type;
      fills_[i] = std::move(fill);
      return Status::Ok();
    });
  }

  Status Apply(Table& table) const override {
    // Check every column before changing any, so a refused input is left as
    // it came.
    std::vector<Column*> cols;
    for (size_t i = 0; i < columns_.size(); ++i) {
      ASSIGN_OR_RETURN(Column * c, GetFittedType(table, columns_[i], types_[i], kOp));
      RETURN_IF_ERROR(CheckIndicatorFree(table, columns_[i]));
      cols.push_back(c);
    }
    std::vector<Column> indicators(add_indicator_ ? cols.size() : 0);
    Status filled = ForEachColumn(cols.size(), [&](size_t i) -> Status {
      Column& c = *cols[i];
      const Fill& f = fills_[i];
      if (add_indicator_) indicators[i] = MissingIndicator(c);
      const size_t n = c.size();
      if (f.out_type == ColumnType::kFloat && c.type != ColumnType::kFloat) {
        std::vector<double> floats(n);
        for (size_t r = 0; r < n; ++r) floats[r] = static_cast<double>(c.ints[r]);
        c.floats = std::move(floats);
        std::vector<int64_t>().swap(c.ints);
        c.type = ColumnType::kFloat;
      }
      // Every cell ends up present. Numeric cells are selected without a
      // branch so the loops vectorise; strings are only touched where missing.
      const uint8_t* valid = c.valid.data();
      if (c.type == ColumnType::kFloat) {
        double* cells = c.floats.data();
        for (size_t r = 0; r < n; ++r) {
          const bool missing = (valid[r] == 0) | std::isnan(cells[r]);
          cells[r] = missing ? f.real : cells[r];
        }
      } else if (c.type == ColumnType::kString) {
        for (size_t r = 0; r < n; ++r) {
          if (valid[r] == 0) c.strings[r] = f.text;
        }
      } else {
        int64_t* cells = c.ints.data();
        for (size_t r = 0; r < n; ++r) cells[r] = valid[r] != 0 ? cells[r] : f.integer;
      }
      std::fill(c.valid.begin(), c.valid.end(), uint8_t{1});
      return Status::Ok();
    });
    RETURN_IF_ERROR(filled);
    for (Column& ind : indicators) RETURN_IF_ERROR(table.Add(std::move(ind)));
    return Status::Ok();
  }

  Json ToJson() const override {
    Json fills = Json::array();
    for (const Fill& f : fills_) fills.push_back(FillToJson(f));
    Json j = {{"op", kOp},
              {"columns", selection_.ToJson()},
              {"strategy", strategy_name_},
              {"add_indicator", add_indicator_},
              {"fitted", {{"columns", columns_}, {"types", TypeNames(types_)}, {"fills", fills}}}};
    if (strategy_ == Strategy::kConstant) j["value"] = value_;
    return j;
  }

  Status LoadFitted(const Json& fitted) override {
    ASSIGN_OR_RETURN(columns_, FittedField<std::vector<std::string>>(fitted, "columns", kOp));
    ASSIGN_OR_RETURN(types_, FittedTypes(fitted, columns_.size(), kOp));
    ASSIGN_OR_RETURN(Json fills, FittedField<Json>(fitted, "fills", kOp));
    if (!fills.is_array() || fills.size() != columns_.size()) {
      return InvalidArgumentError(
          fmt::format("{}: fitted \"fills\" must have one value per column", kOp));
    }
    fills_.clear();
    for (size_t i = 0; i < columns_.size(); ++i) {
      std::optional<Fill> f = FillFromJson(types_[i], fills[i]);
      if (!f) {
        return InvalidArgumentError(fmt::format("{}: fitted fill {} cannot fill {} column '{}'",
                                                kOp, fills[i].dump(), ColumnTypeName(types_[i]),
                                                columns_[i]));
      }
      fills_.push_back(std::move(*f));
    }
    return Status::Ok();
  }

 private:
  Status CheckIndicatorFree(const Table& table, const std::string& name) const {
    if (!add_indicator_ || table.Find(name + "_missing") == nullptr) return Status::Ok();
    return InvalidArgumentError(fmt::format(
        "{}: add_indicator would add '{}_missing', but a column of that name exists; rename it "
        "or set add_indicator: false",
        kOp, name));
  }

  Result<Fill> Learn(const Column& c, std::span<const size_t> rows) const {
    if (strategy_ == Strategy::kConstant) return ConstantFill(c);
    if (strategy_ != Strategy::kMode && !c.is_numeric()) {
      return InvalidArgumentError(fmt::format(
          "{}: strategy: {} needs a numeric column, but '{}' is {}; use mode or constant", kOp,
          strategy_name_, c.name, ColumnTypeName(c.type)));
    }
    size_t present = 0;
    for (size_t r : rows) present += IsMissing(c, r) ? 0 : 1;
    if (present == 0) {
      return InvalidArgumentError(fmt::format(
          "{}: column '{}' has no present value on the {} training rows, so strategy: {} has "
          "nothing to learn from; use strategy: constant with a value, or drop the column",
          kOp, c.name, rows.size(), strategy_name_));
    }
    if (strategy_ == Strategy::kMean) {
      // Wider than double: no overflow, and int values keep all their bits.
      long double sum = 0;
      for (size_t r : rows) {
        if (IsMissing(c, r)) continue;
        sum += c.type == ColumnType::kFloat ? static_cast<long double>(c.floats[r])
                                            : static_cast<long double>(c.ints[r]);
      }
      return NumericFill(c.type, sum / static_cast<long double>(present));
    }
    if (strategy_ == Strategy::kMedian) {
      if (c.type != ColumnType::kFloat) return NumericFill(c.type, IntMedian(c, rows));
      std::vector<double> v = TrainingValues(c, rows);
      const double half[] = {0.5};
      SelectForQuantiles(v, half);
      return NumericFill(c.type, Quantile(v, 0.5));
    }
    Fill f;
    f.out_type = c.type;
    if (c.type == ColumnType::kFloat) {
      f.real = SortedMode(SortedTrainingValues(c, rows));
    } else if (c.type == ColumnType::kString) {
      std::vector<std::string_view> v;
      for (size_t r : rows) {
        if (c.is_valid(r)) v.push_back(c.strings[r]);
      }
      std::sort(v.begin(), v.end());
      f.text = std::string(SortedMode(v));
    } else {
      std::vector<int64_t> v;
      for (size_t r : rows) {
        if (c.is_valid(r)) v.push_back(c.ints[r]);
      }
      std::sort(v.begin(), v.end());
      f.integer = SortedMode(v);
    }
    return f;
  }

  // The spec's `value` as a fill for `c`.
  Result<Fill> ConstantFill(const Column& c) const {
    Fill f;
    f.out_type = c.type;
    bool ok = false;
    if (c.type == ColumnType::kString) {
      ok = value_.is_string();
      if (ok) f.text = value_.get<std::string>();
    } else if (c.type == ColumnType::kTimestamp) {
      std::optional<int64_t> t =
          value_.is_string() ? ParseTimestamp(value_.get<std::string>()) : std::nullopt;
      ok = t.has_value();
      f.integer = t.value_or(0);
    } else if (c.type == ColumnType::kBool && value_.is_boolean()) {
      ok = true;
      f.integer = value_.get<bool>() ? 1 : 0;
    } else if (value_.is_number() && c.type != ColumnType::kBool) {
      ok = true;
      if (c.type == ColumnType::kInt && IsInt64(value_)) {
        f.integer = value_.get<int64_t>();  // exact, even beyond 2^53
      } else {
        f = NumericFill(c.type, value_.get<double>());
      }
    }
    if (!ok) {
      static constexpr std::string_view kWant[] = {"a number", "a number", "true or false",
                                                   "a string (quote it)",
                                                   "an ISO 8601 date or time string"};
      return InvalidArgumentError(fmt::format(
          "{}: value {} cannot fill {} column '{}'; it must be {}", kOp, QuotedValue(value_.dump()),
          ColumnTypeName(c.type), c.name, kWant[static_cast<size_t>(c.type)]));
    }
    return f;
  }

  ColumnSelection selection_;
  std::string strategy_name_;
  Strategy strategy_;
  Json value_;  // strategy: constant only
  bool add_indicator_;
  std::vector<std::string> columns_;
  std::vector<ColumnType> types_;
  std::vector<Fill> fills_;
};

Result<std::unique_ptr<ColumnTransform>> MakeImpute(const SpecReader& item, const TransformEnv&) {
  RETURN_IF_ERROR(item.ExpectObject({"op", "columns", "strategy", "value", "add_indicator"}));
  ASSIGN_OR_RETURN(ColumnSelection sel, ColumnSelection::Parse(item));
  ASSIGN_OR_RETURN(std::string name, item.String("strategy"));
  Strategy strategy;
  if (name == "mean") {
    strategy = Strategy::kMean;
  } else if (name == "median") {
    strategy = Strategy::kMedian;
  } else if (name == "mode") {
    strategy = Strategy::kMode;
  } else if (name == "constant") {
    strategy = Strategy::kConstant;
  } else {
    return item.FieldError("strategy", fmt::format("unknown strategy '{}' (strategies: mean, "
                                                   "median, mode, constant)",
                                                   name));
  }
  Json value;
  if (strategy == Strategy::kConstant) {
    if (!item.Has("value")) {
      return item.FieldError("value", "strategy: constant needs a value to fill with");
    }
    value = item.json()["value"];
    bool scalar = value.is_string() || value.is_boolean() ||
                  (value.is_number() && std::isfinite(value.get<double>()));
    if (!scalar) {
      return item.FieldError("value", fmt::format("expected a finite number, true/false or a "
                                                  "string, got {}",
                                                  QuotedValue(value.dump())));
    }
  } else if (item.Has("value")) {
    return item.FieldError("value", fmt::format("value is only used with strategy: constant "
                                                "(strategy is {})",
                                                name));
  }
  ASSIGN_OR_RETURN(bool add_indicator, item.Bool("add_indicator", false));
  return std::unique_ptr<ColumnTransform>(std::make_unique<Impute>(
      std::move(sel), std::move(name), strategy, std::move(value), add_indicator));
}

}  // namespace

void AddImputeOps(std::vector<TransformOp>& ops) { ops.push_back({"impute", MakeImpute}); }

}  // namespace citadel::data
