#include "data/internal/transforms.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <unordered_set>

namespace citadel::data {
namespace {

// Hash and equality of whole rows (features and label), by row index.
struct RowHash {
  const Frame* frame;
  size_t operator()(size_t r) const {
    uint64_t h = 1469598103934665603ull ^ static_cast<uint64_t>(frame->labels[r]);
    const double* x = frame->row(r);
    for (size_t c = 0; c < frame->num_features(); ++c) {
      double v = x[c] == 0.0 ? 0.0 : x[c];  // -0.0 == 0.0, so they must hash alike
      h = (h ^ std::bit_cast<uint64_t>(v)) * 1099511628211ull;
      h ^= h >> 29;
    }
    return static_cast<size_t>(h);
  }
};

struct RowEqual {
  const Frame* frame;
  bool operator()(size_t a, size_t b) const {
    if (frame->labels[a] != frame->labels[b]) return false;
    const double* x = frame->row(a);
    const double* y = frame->row(b);
    for (size_t c = 0; c < frame->num_features(); ++c) {
      if (x[c] != y[c]) return false;
    }
    return true;
  }
};

}  // namespace

Status ValidateTransforms(const std::vector<TransformSpec>& transforms, const Frame& frame) {
  for (size_t i = 0; i < transforms.size(); ++i) {
    const TransformSpec& t = transforms[i];
    if (t.op == kDropDuplicates) continue;
    if (t.op != kStandardize) {
      return InvalidArgumentError(
          fmt::format("transform {}: unknown op '{}' (supported ops: {}, {})", i + 1, t.op,
                      kDropDuplicates, kStandardize));
    }
    if (t.all_numeric) continue;
    if (t.columns.empty()) {
      return InvalidArgumentError(fmt::format(
          "transform {} (standardize): no columns given; list feature names or use all_numeric",
          i + 1));
    }
    for (const std::string& name : t.columns) {
      if (name == frame.label_name) {
        return InvalidArgumentError(fmt::format(
            "transform {} (standardize): '{}' is the label column; only features can be "
            "standardized",
            i + 1, name));
      }
      if (std::find(frame.feature_names.begin(), frame.feature_names.end(), name) ==
          frame.feature_names.end()) {
        return InvalidArgumentError(fmt::format(
            "transform {} (standardize): unknown column '{}' in {}; the feature columns are "
            "named by the header (or col_0, col_1, … without one)",
            i + 1, name, frame.source));
      }
    }
  }
  // Serving folds one affine map per column, so a second standardize of the
  // same column cannot be represented.
  std::vector<size_t> standardized_by(frame.num_features(), 0);  // 1-based transform, 0: none
  for (size_t i = 0; i < transforms.size(); ++i) {
    if (transforms[i].op != kStandardize) continue;
    for (size_t c : StandardizeColumns(transforms[i], frame)) {
      if (standardized_by[c] != 0) {
        return InvalidArgumentError(fmt::format(
            "transform {} (standardize): column '{}' is already standardized by transform {}; "
            "a column may be standardized only once (serving applies one affine map per "
            "column), so list it in a single standardize",
            i + 1, frame.feature_names[c], standardized_by[c]));
      }
      standardized_by[c] = i + 1;
    }
  }
  return Status::Ok();
}

size_t DropDuplicateRows(Frame& frame) {
  std::unordered_set<size_t, RowHash, RowEqual> seen(frame.num_rows() * 2 + 1, RowHash{&frame},
                                                     RowEqual{&frame});
  std::vector<size_t> keep;
  keep.reserve(frame.num_rows());
  for (size_t r = 0; r < frame.num_rows(); ++r) {
    if (seen.insert(r).second) keep.push_back(r);
  }
  size_t dropped = frame.num_rows() - keep.size();
  if (dropped > 0) frame.KeepRows(keep);
  return dropped;
}

Json StandardizeFit::ToJson(const Frame& frame) const {
  Json names = Json::array();
  for (size_t c : columns) names.push_back(frame.feature_names[c]);
  return Json{{"op", kStandardize}, {"columns", names}, {"mean", mean}, {"scale", scale}};
}

std::vector<size_t> StandardizeColumns(const TransformSpec& spec, const Frame& frame) {
  std::vector<size_t> out;
  if (spec.all_numeric) {
    for (size_t c = 0; c < frame.num_features(); ++c) out.push_back(c);
    return out;
  }
  for (const std::string& name : spec.columns) {
    auto it = std::find(frame.feature_names.begin(), frame.feature_names.end(), name);
    auto c = static_cast<size_t>(it - frame.feature_names.begin());
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  }
  return out;
}

Result<StandardizeFit> FitStandardize(const Frame& frame, std::vector<size_t> columns,
                                      std::span<const size_t> fit_rows) {
  StandardizeFit fit;
  fit.columns = std::move(columns);
  size_t k = fit.columns.size();
  fit.mean.assign(k, 0.0);
  fit.scale.assign(k, 1.0);
  if (fit_rows.empty()) return fit;
  auto n = static_cast<double>(fit_rows.size());
  std::vector<double> lo(k, INFINITY), hi(k, -INFINITY), sq(k, 0.0);
  for (size_t r : fit_rows) {
    const double* x = frame.row(r);
    for (size_t j = 0; j < k; ++j) {
      double v = x[fit.columns[j]];
      fit.mean[j] += v;
      lo[j] = std::min(lo[j], v);
      hi[j] = std::max(hi[j], v);
    }
  }
  for (size_t j = 0; j < k; ++j) fit.mean[j] /= n;
  // Two passes: the sum of squared deviations is accurate where E[x²]-E[x]² is not.
  for (size_t r : fit_rows) {
    const double* x = frame.row(r);
    for (size_t j = 0; j < k; ++j) {
      double d = x[fit.columns[j]] - fit.mean[j];
      sq[j] += d * d;
    }
  }
  for (size_t j = 0; j < k; ++j) {
    if (lo[j] == hi[j]) {
      // A constant column: its mean is exact and the rounding noise of the
      // variance must not become a huge scale factor.
      fit.mean[j] = lo[j];
      continue;
    }
    double sd = std::sqrt(sq[j] / n);
    fit.scale[j] = sd > 0.0 ? sd : 1.0;
  }
  for (size_t j = 0; j < k; ++j) {
    if (!std::isfinite(fit.mean[j]) || !std::isfinite(fit.scale[j])) {
      return InvalidArgumentError(fmt::format(
          "{}: standardize: column '{}' has mean {} and scale {} on the fitted rows, which are "
          "not finite (the values are too large to sum); rescale the column before this step",
          frame.source, frame.feature_names[fit.columns[j]], fit.mean[j], fit.scale[j]));
    }
  }
  return fit;
}

void ApplyStandardize(const StandardizeFit& fit, Frame& frame) {
  for (size_t r = 0; r < frame.num_rows(); ++r) {
    double* x = frame.row(r);
    for (size_t j = 0; j < fit.columns.size(); ++j) {
      double& v = x[fit.columns[j]];
      v = (v - fit.mean[j]) / fit.scale[j];
    }
  }
}

}  // namespace citadel::data
