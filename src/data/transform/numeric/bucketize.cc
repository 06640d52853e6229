// bucketize: maps numeric values to the index of the interval they fall in.
//
//   { op: bucketize, columns: age, boundaries: [18, 30, 65] }
//   { op: bucketize, columns: [income, debt], quantiles: 4, output: _quartile }
//
// Spec fields (exactly one of boundaries and quantiles):
//   columns     required; int, float or bool columns.
//   boundaries  fixed, strictly increasing finite numbers b_0 < … < b_{k-1}.
//   quantiles   N in [2, 1000]: per column, the N - 1 inner quantiles (1/N …
//               (N-1)/N, numpy's linear method) of the training values, with
//               duplicates removed, so a column with few distinct values
//               gets fewer buckets.
//   output      replace (default) rewrites the column; any other text is a
//               suffix: a new column "<name><suffix>" is appended (sources =
//               the column's) and the input is kept.
// Fitted: {"columns": [...], "boundaries": [[...], ...]} (also for fixed
// boundaries, so the stored form alone defines the mapping).
//
// The output is an int column of bucket indices 0..k: i such that
// b_{i-1} <= x < b_i (right-open, as numpy.digitize's default), so x < b_0 →
// 0 and x >= b_{k-1} → k. -inf → 0 and +inf → k. Missing stays missing and
// NaN becomes missing (it falls in no interval). With quantiles, a column
// with no present value on the training rows, or whose quantile is
// infinite, is an error naming it.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "data/transform/column_selection.h"
#include "data/transform/numeric/numeric_ops.h"
#include "data/transform/numeric/order_statistics.h"

namespace citadel::data {
namespace {

constexpr std::string_view kOp = "bucketize";
constexpr int64_t kMaxQuantiles = 1000;

bool StrictlyIncreasingFinite(const std::vector<double>& b) {
  for (size_t i = 0; i < b.size(); ++i) {
    if (!std::isfinite(b[i]) || (i > 0 && !(b[i - 1] < b[i]))) return false;
  }
  return true;
}

class Bucketize : public ColumnTransform {
 public:
  // `quantiles` 0 means fixed `boundaries`; `suffix` empty means replace.
  Bucketize(ColumnSelection selection, std::vector<double> boundaries, int64_t quantiles,
            std::string suffix)
      : selection_(std::move(selection)),
        fixed_(std::move(boundaries)),
        quantiles_(quantiles),
        suffix_(std::move(suffix)) {}

  std::string_view op() const override { return kOp; }

  Status Fit(const Table& table, std::span<const size_t> fit_rows) override {
    ASSIGN_OR_RETURN(columns_, ResolveNumeric(selection_, table, kOp));
    boundaries_.clear();
    for (const std::string& name : columns_) {
      RETURN_IF_ERROR(CheckOutputFree(table, name));
      if (quantiles_ == 0) {
        boundaries_.push_back(fixed_);
        continue;
      }
      std::vector<double> v = TrainingValues(*table.Find(name), fit_rows);
      if (v.empty()) {
        return InvalidArgumentError(fmt::format(
            "{}: column '{}' has no present value on the {} training rows to take quantiles "
            "of; impute it first, give fixed boundaries, or leave it out",
            kOp, name, fit_rows.size()));
      }
      std::vector<double> qs;
      for (int64_t k = 1; k < quantiles_; ++k) {
        qs.push_back(static_cast<double>(k) / static_cast<double>(quantiles_));
      }
      SelectForQuantiles(v, qs);
      std::vector<double> b;
      for (size_t k = 1; k < static_cast<size_t>(quantiles_); ++k) {
        double q = Quantile(v, qs[k - 1]);
        if (!std::isfinite(q)) {
          return InvalidArgumentError(fmt::format(
              "{}: quantile {}/{} of column '{}' on the training rows is infinite (the column "
              "holds inf); clip or winsorize it first, or give fixed boundaries",
              kOp, k, quantiles_, name));
        }
        if (b.empty() || b.back() != q) b.push_back(q);
      }
      boundaries_.push_back(std::move(b));
    }
    return Status::Ok();
  }

  Status Apply(Table& table) const override {
    std::vector<const Column*> cols;
    for (const std::string& name : columns_) {
      ASSIGN_OR_RETURN(Column * c, GetNumeric(table, name, kOp));
      RETURN_IF_ERROR(CheckOutputFree(table, name));
      cols.push_back(c);
    }
    std::vector<Column> out;
    for (size_t i = 0; i < cols.size(); ++i) {
      const Column& c = *cols[i];
      const std::vector<double>& b = boundaries_[i];
      Column o = Column::Empty(c.name + suffix_, ColumnType::kInt, c.sources);
      for (size_t r = 0; r < c.size(); ++r) {
        const double x = c.is_valid(r) ? c.AsDouble(r) : std::nan("");
        if (std::isnan(x)) {
          o.AppendMissing();
        } else {
          o.Append(static_cast<int64_t>(std::upper_bound(b.begin(), b.end(), x) - b.begin()));
        }
      }
      out.push_back(std::move(o));
    }
    for (Column& o : out) {
      if (suffix_.empty()) {
        *table.Find(o.name) = std::move(o);
      } else {
        RETURN_IF_ERROR(table.Add(std::move(o)));
      }
    }
    return Status::Ok();
  }

  Json ToJson() const override {
    Json j = {{"op", kOp},
              {"columns", selection_.ToJson()},
              {"output", suffix_.empty() ? "replace" : suffix_},
              {"fitted", {{"columns", columns_}, {"boundaries", boundaries_}}}};
    if (quantiles_ == 0) {
      j["boundaries"] = fixed_;
    } else {
      j["quantiles"] = quantiles_;
    }
    return j;
  }

  Status LoadFitted(const Json& fitted) override {
    ASSIGN_OR_RETURN(columns_, FittedField<std::vector<std::string>>(fitted, "columns", kOp));
    ASSIGN_OR_RETURN(boundaries_,
                     FittedField<std::vector<std::vector<double>>>(fitted, "boundaries", kOp));
    if (boundaries_.size() != columns_.size()) {
      return InvalidArgumentError(
          fmt::format("{}: fitted \"boundaries\" must have one list per column", kOp));
    }
    for (size_t i = 0; i < columns_.size(); ++i) {
      bool ok = StrictlyIncreasingFinite(boundaries_[i]) &&
                (quantiles_ == 0 ? boundaries_[i] == fixed_
                                 : boundaries_[i].size() < static_cast<size_t>(quantiles_));
      if (!ok) {
        return InvalidArgumentError(fmt::format(
            "{}: fitted boundaries of '{}' must be finite and strictly increasing: the spec's "
            "boundaries, or at most quantiles - 1 values",
            kOp, columns_[i]));
      }
    }
    return Status::Ok();
  }

 private:
  Status CheckOutputFree(const Table& table, const std::string& name) const {
    if (suffix_.empty() || table.Find(name + suffix_) == nullptr) return Status::Ok();
    return InvalidArgumentError(fmt::format(
        "{}: output '{}{}' would overwrite an existing column; choose another output suffix", kOp,
        name, suffix_));
  }

  ColumnSelection selection_;
  std::vector<double> fixed_;
  int64_t quantiles_;
  std::string suffix_;
  std::vector<std::string> columns_;
  std::vector<std::vector<double>> boundaries_;
};

Result<std::unique_ptr<ColumnTransform>> MakeBucketize(const SpecReader& item,
                                                       const TransformEnv&) {
  RETURN_IF_ERROR(item.ExpectObject({"op", "columns", "boundaries", "quantiles", "output"}));
  ASSIGN_OR_RETURN(ColumnSelection sel, ColumnSelection::Parse(item));
  if (item.Has("boundaries") == item.Has("quantiles")) {
    return item.Error("bucketize needs exactly one of boundaries: [..] (fixed) and quantiles: N");
  }
  std::vector<double> boundaries;
  int64_t quantiles = 0;
  if (item.Has("boundaries")) {
    ASSIGN_OR_RETURN(boundaries, NumberList(item, "boundaries", 0));
    if (!StrictlyIncreasingFinite(boundaries)) {
      return item.FieldError("boundaries", "boundaries must be strictly increasing");
    }
  } else {
    ASSIGN_OR_RETURN(quantiles, item.Int("quantiles", 2, kMaxQuantiles));
  }
  ASSIGN_OR_RETURN(std::string output, item.String("output", "replace"));
  if (output.empty()) {
    return item.FieldError("output", "expected replace or a column-name suffix such as _bucket");
  }
  if (output == "replace") output.clear();
  return std::unique_ptr<ColumnTransform>(std::make_unique<Bucketize>(
      std::move(sel), std::move(boundaries), quantiles, std::move(output)));
}

}  // namespace

void AddBucketizeOps(std::vector<TransformOp>& ops) { ops.push_back({"bucketize", MakeBucketize}); }

}  // namespace citadel::data
