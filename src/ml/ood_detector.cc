// Fitting, storing and scoring the Mahalanobis detector. Every sum runs on
// one thread in a fixed order (rows ascending, features ascending), and the
// vectorisable loops only ever add into separate elements, never reassociate
// one reduction: the same inputs give the same bits on every run.
#include "ml/ood_detector.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "formats/safetensors.h"
#include "ml/kernels/mahalanobis_kernels.h"

namespace citadel::ml {
namespace {

constexpr std::string_view kOodFormat = "citadel.ood/v1";
constexpr std::string_view kMethod = "mahalanobis";
// λ = kRelativeRidge · mean feature variance (class comment in the header).
constexpr double kRelativeRidge = 1e-3;
// Multiply-adds the covariance may cost before its rows are subsampled
// (rows·dims²/2), and those the calibration scores may cost (dims²/2 each).
constexpr double kFitBudget = 6e9;
constexpr double kCalibrationBudget = 3e9;
// The covariance is never subsampled below kMinFitRows rows (nor below 8
// per feature), and the cap on held-out rows is never below
// kMinCalibrationRows.
constexpr int64_t kMinFitRows = 4096;
constexpr int64_t kMinCalibrationRows = 2000;
// From this many rows on, a fifth is held out to calibrate the threshold.
constexpr int64_t kMinRowsToHoldOut = 1000;
// Rows of centred features the covariance accumulates at a time.
constexpr int64_t kBlockRows = 64;
// The seed that picks the rows: fixed, so that the detector depends on the
// data only.
constexpr uint64_t kRowSeed = 0x6f6f642d66697431;  // "ood-fit1"

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// splitmix64: a tiny, fully specified generator (std:: distributions are not
// the same across standard libraries).
uint64_t NextRandom(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// 0…rows-1 in a seeded random order (Fisher–Yates).
std::vector<int64_t> ShuffledRows(int64_t rows) {
  std::vector<int64_t> order(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) order[static_cast<size_t>(r)] = r;
  uint64_t state = kRowSeed;
  for (int64_t i = rows - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(
        (static_cast<unsigned __int128>(NextRandom(state)) * static_cast<uint64_t>(i + 1)) >> 64);
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

std::vector<int64_t> SortedSlice(const std::vector<int64_t>& order, size_t begin, size_t end) {
  std::vector<int64_t> out(order.begin() + static_cast<ptrdiff_t>(begin),
                           order.begin() + static_cast<ptrdiff_t>(end));
  std::sort(out.begin(), out.end());
  return out;
}

std::string F64Bytes(std::span<const double> values) { return formats::BytesOf(values); }

std::string ShapeText(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

// Reads ood.safetensors tensors with every error naming the source and tensor.
class TensorReader {
 public:
  TensorReader(const formats::SafetensorsFile& file, std::string_view source)
      : file_(file), source_(source) {}

  Status Error(std::string_view tensor, std::string_view what) const {
    return DataLossError(
        fmt::format("{}: ood.safetensors tensor '{}' {}; the model's detector is "
                    "damaged or from another Citadel: retrain the model",
                    source_, tensor, what));
  }

  // The tensor named `name` with `dtype` and `rank` dimensions.
  Result<const formats::TensorView*> Get(std::string_view name, formats::DType dtype,
                                         size_t rank) const {
    const formats::TensorView* found = nullptr;
    for (const formats::TensorView& t : file_.tensors()) {
      if (t.name == name) found = &t;
    }
    if (found == nullptr) return Error(name, "is missing");
    if (found->dtype != dtype || found->shape.size() != rank) {
      return Error(name, fmt::format("is {} {}, expected {} with {} dimension(s)",
                                     formats::DTypeName(found->dtype), ShapeText(found->shape),
                                     formats::DTypeName(dtype), rank));
    }
    return found;
  }

  // F64 values, every one finite.
  Result<std::vector<double>> Doubles(const formats::TensorView& t) const {
    std::vector<double> out(static_cast<size_t>(t.NumElements()));
    std::memcpy(out.data(), t.data.data(), out.size() * sizeof(double));
    for (size_t i = 0; i < out.size(); ++i) {
      if (!std::isfinite(out[i]))
        return Error(t.name, fmt::format("has a non-finite value at {}", i));
    }
    return out;
  }

  Result<int64_t> Count(std::string_view name) const {
    ASSIGN_OR_RETURN(const formats::TensorView* t, Get(name, formats::DType::kI64, 0));
    int64_t v = 0;
    std::memcpy(&v, t->data.data(), sizeof v);
    return v;
  }

  Result<double> Scalar(std::string_view name) const {
    ASSIGN_OR_RETURN(const formats::TensorView* t, Get(name, formats::DType::kF64, 0));
    ASSIGN_OR_RETURN(std::vector<double> v, Doubles(*t));
    return v[0];
  }

 private:
  const formats::SafetensorsFile& file_;
  std::string_view source_;
};

}  // namespace

std::string_view FeatureSpaceName(FeatureSpace space) {
  return space == FeatureSpace::kPenultimate ? "penultimate" : "input_features";
}

int64_t OodDetector::FitRowLimit(int64_t dims) {
  const double d = static_cast<double>(std::max<int64_t>(1, dims));
  return std::max({static_cast<int64_t>(2 * kFitBudget / (d * d)), kMinFitRows, 8 * dims});
}

int64_t OodDetector::CalibrationRowLimit(int64_t dims) {
  const double d = static_cast<double>(std::max<int64_t>(1, dims));
  return std::max(static_cast<int64_t>(2 * kCalibrationBudget / (d * d)), kMinCalibrationRows);
}

Result<OodDetector> OodDetector::Fit(std::span<const float> features, int64_t rows, int64_t dims,
                                     std::span<const int64_t> labels, int64_t classes,
                                     double quantile, FeatureSpace space) {
  if (dims < 1 || dims > kMaxDims) {
    return InvalidArgumentError(fmt::format(
        "an out-of-distribution detector needs 1 to {} features, got {}", kMaxDims, dims));
  }
  if (rows < 2) {
    return InvalidArgumentError(fmt::format(
        "an out-of-distribution detector needs at least 2 rows to estimate a covariance, got {}",
        rows));
  }
  if (classes < 1) return InvalidArgumentError("an out-of-distribution detector needs a class");
  if (features.size() != static_cast<size_t>(rows * dims) ||
      labels.size() != static_cast<size_t>(rows)) {
    return InvalidArgumentError(fmt::format(
        "out-of-distribution detector: {} feature values and {} labels for {} rows of {} features",
        features.size(), labels.size(), rows, dims));
  }
  if (!(quantile > 0.0 && quantile <= 1.0)) {
    return InvalidArgumentError(
        fmt::format("out-of-distribution detector: quantile {} is not in (0, 1]", quantile));
  }
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t y = labels[static_cast<size_t>(r)];
    if (y < 0 || y >= classes) {
      return InvalidArgumentError(fmt::format(
          "out-of-distribution detector: row {} has label {}, outside [0, {})", r, y, classes));
    }
    const float* x = features.data() + r * dims;
    for (int64_t i = 0; i < dims; ++i) {
      if (!std::isfinite(x[i])) {
        return InvalidArgumentError(fmt::format(
            "out-of-distribution detector: row {} feature {} is {}; features must be finite", r, i,
            x[i]));
      }
    }
  }

  // Which rows do what (class comment): the first of a seeded order are
  // held out, the rest give the means, the first of the rest the covariance.
  const std::vector<int64_t> order = ShuffledRows(rows);
  const int64_t held_out =
      rows >= kMinRowsToHoldOut ? std::min(rows / 5, CalibrationRowLimit(dims)) : 0;
  const std::vector<int64_t> calibration = SortedSlice(order, 0, static_cast<size_t>(held_out));
  const std::vector<int64_t> model_rows =
      SortedSlice(order, static_cast<size_t>(held_out), order.size());
  const std::vector<int64_t> fit =
      SortedSlice(order, static_cast<size_t>(held_out),
                  static_cast<size_t>(held_out + std::min(rows - held_out, FitRowLimit(dims))));

  OodDetector d;
  d.space_ = space;
  d.dims_ = dims;
  d.stride_ = internal::PaddedDims(dims);
  d.classes_ = classes;
  d.quantile_ = quantile;
  d.fit_rows_ = static_cast<int64_t>(fit.size());
  d.calibration_rows_ = held_out;
  d.counts_.assign(static_cast<size_t>(classes), 0);
  d.means_.assign(static_cast<size_t>(classes * dims), 0.0);
  for (int64_t r : model_rows) {
    const int64_t y = labels[static_cast<size_t>(r)];
    const float* x = features.data() + r * dims;
    double* sum = d.means_.data() + y * dims;
    for (int64_t i = 0; i < dims; ++i) sum[i] += x[i];
    ++d.counts_[static_cast<size_t>(y)];
  }
  for (int64_t c = 0; c < classes; ++c) {
    const int64_t n = d.counts_[static_cast<size_t>(c)];
    if (n == 0) continue;
    for (int64_t i = 0; i < dims; ++i) d.means_[static_cast<size_t>(c * dims + i)] /= n;
  }

  // Shared covariance of the class-centred rows, divided by n as Lee et
  // al.'s empirical covariance is.
  const int64_t stride = d.stride_;
  std::vector<double> cov(static_cast<size_t>(stride * stride), 0.0);
  std::vector<double> block(static_cast<size_t>(kBlockRows * stride), 0.0);
  for (size_t start = 0; start < fit.size(); start += kBlockRows) {
    const int64_t nb = std::min<int64_t>(kBlockRows, static_cast<int64_t>(fit.size() - start));
    for (int64_t b = 0; b < nb; ++b) {
      const int64_t r = fit[start + static_cast<size_t>(b)];
      const float* x = features.data() + r * dims;
      const double* mean = d.means_.data() + labels[static_cast<size_t>(r)] * dims;
      double* out = block.data() + b * stride;
      for (int64_t i = 0; i < dims; ++i) out[i] = static_cast<double>(x[i]) - mean[i];
    }
    internal::AccumulateLower(block.data(), nb, stride, cov.data());
  }
  double trace = 0.0;
  for (int64_t i = 0; i < dims; ++i) {
    for (int64_t j = 0; j <= i; ++j) cov[static_cast<size_t>(i * stride + j)] /= d.fit_rows_;
    trace += cov[static_cast<size_t>(i * stride + i)];
  }
  const double mean_variance = trace / dims;
  d.ridge_ =
      mean_variance > std::numeric_limits<double>::min() ? kRelativeRidge * mean_variance : 1.0;
  for (int64_t i = 0; i < dims; ++i) cov[static_cast<size_t>(i * stride + i)] += d.ridge_;
  Status factored = internal::FactorCholesky(cov.data(), dims, stride);
  if (!factored.ok()) return factored.WithContext("fitting the out-of-distribution detector");
  d.Prepare(cov.data(), stride);

  // The threshold, from the scores serving computes (ScoreRows, Score's
  // bits): a calibration row is flagged exactly when it was counted above
  // the threshold here.
  const std::vector<int64_t>& scored = held_out > 0 ? calibration : fit;
  std::vector<double> scores;
  scores.reserve(scored.size());
  std::vector<float> gathered;
  for (size_t k = 0; k < scored.size(); k += kScoreBlock) {
    const size_t end = std::min(scored.size(), k + kScoreBlock);
    gathered.clear();
    for (size_t q = k; q < end; ++q) {
      const float* row = features.data() + scored[q] * dims;
      gathered.insert(gathered.end(), row, row + dims);
    }
    for (double v : d.ScoreRows(gathered, static_cast<int64_t>(end - k))) scores.push_back(v);
  }
  // The smallest score with at least quantile·n scores at or below it.
  const auto n = static_cast<int64_t>(scores.size());
  const int64_t rank =
      std::clamp<int64_t>(static_cast<int64_t>(std::ceil(quantile * static_cast<double>(n))), 1, n);
  std::nth_element(scores.begin(), scores.begin() + (rank - 1), scores.end());
  d.threshold_ = scores[static_cast<size_t>(rank - 1)];
  return d;
}

Result<OodDetector::LabelledRows> OodDetector::ReadLabelledRows(const DatasetView& data) {
  const std::string source = data.name + " data.safetensors";
  ASSIGN_OR_RETURN(formats::SafetensorsFile file,
                   formats::SafetensorsFile::ParseBorrowed(data.safetensors, source));
  ASSIGN_OR_RETURN(const formats::TensorView* features, file.Get("features"));
  ASSIGN_OR_RETURN(const formats::TensorView* labels, file.Get("labels"));
  if (features->dtype != formats::DType::kF32 || features->shape.size() != 2 ||
      labels->dtype != formats::DType::kI64 || labels->shape.size() != 1 ||
      labels->shape[0] != features->shape[0]) {
    return InvalidArgumentError(
        fmt::format("{}: expected features F32 [rows, features] and labels I64 [rows], got "
                    "features {} {} and labels {} {}",
                    source, formats::DTypeName(features->dtype), ShapeText(features->shape),
                    formats::DTypeName(labels->dtype), ShapeText(labels->shape)));
  }
  const Json& schema = data.schema;
  if (!schema.is_object() || !schema.contains("label") || !schema["label"].is_object() ||
      !schema["label"].contains("classes") || !schema["label"]["classes"].is_array()) {
    return InvalidArgumentError(
        fmt::format("{} schema.json: label.classes is missing or not a list", data.name));
  }
  LabelledRows out;
  out.classes = static_cast<int64_t>(schema["label"]["classes"].size());
  out.rows = features->shape[0];
  out.dims = features->shape[1];
  out.labels.resize(static_cast<size_t>(out.rows));
  std::memcpy(out.labels.data(), labels->data.data(), out.labels.size() * sizeof(int64_t));
  // The features are used in place when aligned (they are in a file Citadel
  // wrote), copied otherwise.
  const auto values = static_cast<size_t>(out.rows * out.dims);
  if (reinterpret_cast<uintptr_t>(features->data.data()) % alignof(float) == 0) {
    out.features = {reinterpret_cast<const float*>(features->data.data()), values};
  } else {
    out.copy.resize(values);
    std::memcpy(out.copy.data(), features->data.data(), values * sizeof(float));
    out.features = out.copy;
  }
  return out;
}

void OodDetector::Prepare(const double* lower, int64_t lower_stride) {
  factor_ = internal::PackedFactor(lower, dims_, lower_stride);
  // L⁻¹·mean per class, stored feature by feature for SquaredDistances: all
  // classes' distances take one pass over a row. A class without rows
  // keeps zeros (NearestMean skips it).
  class_width_ = (classes_ + 3) / 4 * 4;
  interleaved_.assign(static_cast<size_t>(dims_ * class_width_), 0.0);
  std::vector<double> z(static_cast<size_t>(stride_));
  for (int64_t c = 0; c < classes_; ++c) {
    if (counts_[static_cast<size_t>(c)] == 0) continue;
    std::fill(z.begin(), z.end(), 0.0);
    std::copy_n(means_.data() + c * dims_, dims_, z.begin());
    Whiten(z.data());
    for (int64_t i = 0; i < dims_; ++i) {
      interleaved_[static_cast<size_t>(i * class_width_ + c)] = z[static_cast<size_t>(i)];
    }
  }
}

void OodDetector::Whiten(double* z) const { internal::SolveLower(factor_, z, 1); }

double OodDetector::Score(std::span<const float> row) const {
  if (row.size() != static_cast<size_t>(dims_)) return kInfinity;
  double score = kInfinity;
  ScoreBlock(row.data(), 1, &score);
  return score;
}

std::vector<double> OodDetector::ScoreRows(std::span<const float> features, int64_t rows) const {
  std::vector<double> scores(static_cast<size_t>(std::max<int64_t>(rows, 0)), kInfinity);
  if (rows <= 0 || features.size() != static_cast<size_t>(rows * dims_)) return scores;
  for (int64_t r = 0; r < rows; r += kScoreBlock) {
    ScoreBlock(features.data() + r * dims_, std::min(kScoreBlock, rows - r), scores.data() + r);
  }
  return scores;
}

void OodDetector::ScoreBlock(const float* rows, int64_t count, double* scores) const {
  // Per thread, grown once: scoring allocates nothing after the first call.
  thread_local std::vector<double> scratch;
  const auto n = static_cast<size_t>(kScoreBlock * stride_);
  if (scratch.size() < n) scratch.resize(n);
  bool finite[kScoreBlock];
  for (int64_t r = 0; r < count; ++r) {
    const float* row = rows + r * dims_;
    double* z = scratch.data() + r * stride_;
    finite[r] = std::all_of(row, row + dims_, [](float v) { return std::isfinite(v); });
    // A row that is not finite scores +infinity; its solve runs on zeros.
    for (int64_t i = 0; i < dims_; ++i) z[i] = finite[r] ? row[i] : 0.0;
    std::fill(z + dims_, z + stride_, 0.0);
  }
  internal::SolveLower(factor_, scratch.data(), count);
  for (int64_t r = 0; r < count; ++r) {
    scores[r] = finite[r] ? NearestMean(scratch.data() + r * stride_) : kInfinity;
  }
}

double OodDetector::NearestMean(const double* z) const {
  thread_local std::vector<double> sums;
  sums.resize(static_cast<size_t>(class_width_));
  internal::SquaredDistances(z, dims_, interleaved_.data(), class_width_, sums.data());
  double best = kInfinity;
  for (int64_t c = 0; c < classes_; ++c) {
    if (counts_[static_cast<size_t>(c)] == 0) continue;
    const double sum = sums[static_cast<size_t>(c)];
    // A factor from a file could overflow: never let NaN pass as in range.
    if (std::isnan(sum)) return kInfinity;
    best = std::min(best, sum);
  }
  return best;
}

std::string OodDetector::ToSafetensors() const {
  formats::SafetensorsWriter w;
  const auto scalar = [](double v) { return F64Bytes(std::span<const double>(&v, 1)); };
  // The sizes were checked when the detector was built: Add cannot fail.
  w.Add("means", formats::DType::kF64, {classes_, dims_}, F64Bytes(means_)).IgnoreError();
  w.Add("counts", formats::DType::kI64, {classes_},
        formats::BytesOf(std::span<const int64_t>(counts_)))
      .IgnoreError();
  // L, row-major, without its padding, written at Serialize() below (the
  // zeros above the diagonal are the writer's).
  const auto fill_lower = [&](int64_t first_row, std::span<char> bytes) {
    const auto rows = static_cast<int64_t>(bytes.size() / (dims_ * sizeof(double)));
    for (int64_t i = first_row; i < first_row + rows; ++i) {
      for (int64_t j = 0; j <= i; ++j) {
        const double v = factor_.at(i, j);
        std::memcpy(bytes.data() + ((i - first_row) * dims_ + j) * sizeof(double), &v, sizeof v);
      }
    }
  };
  w.AddFilled("cholesky", formats::DType::kF64, {dims_, dims_}, fill_lower).IgnoreError();
  w.Add("quantile", formats::DType::kF64, {}, scalar(quantile_)).IgnoreError();
  w.Add("threshold", formats::DType::kF64, {}, scalar(threshold_)).IgnoreError();
  w.Add("ridge", formats::DType::kF64, {}, scalar(ridge_)).IgnoreError();
  const auto count = [](int64_t v) { return formats::BytesOf(std::span<const int64_t>(&v, 1)); };
  w.Add("fit_rows", formats::DType::kI64, {}, count(fit_rows_)).IgnoreError();
  w.Add("calibration_rows", formats::DType::kI64, {}, count(calibration_rows_)).IgnoreError();
  w.SetMetadata("format", std::string(kOodFormat));
  w.SetMetadata("method", std::string(kMethod));
  w.SetMetadata("space", std::string(FeatureSpaceName(space_)));
  return w.Serialize();
}

Result<OodDetector> OodDetector::FromSafetensors(std::string_view bytes, std::string_view source) {
  ASSIGN_OR_RETURN(formats::SafetensorsFile file,
                   formats::SafetensorsFile::ParseBorrowed(
                       bytes, fmt::format("{} {}", source, "ood.safetensors")));
  // Detectors written before the penultimate space existed say
  // "input_features", which still reads as it did.
  std::optional<FeatureSpace> space;
  for (const FeatureSpace s : {FeatureSpace::kInputFeatures, FeatureSpace::kPenultimate}) {
    const std::map<std::string, std::string> expected = {
        {"format", std::string(kOodFormat)},
        {"method", std::string(kMethod)},
        {"space", std::string(FeatureSpaceName(s))}};
    if (file.metadata() == expected) space = s;
  }
  if (!space) {
    const auto it = file.metadata().find("format");
    return DataLossError(fmt::format(
        "{}: ood.safetensors is not a {} {} detector over input_features or penultimate "
        "(format {}); retrain the model",
        source, kOodFormat, kMethod,
        it == file.metadata().end() ? std::string("missing") : "'" + it->second + "'"));
  }
  const std::set<std::string> names = {"means",     "counts", "cholesky", "quantile",
                                       "threshold", "ridge",  "fit_rows", "calibration_rows"};
  TensorReader in(file, source);
  for (const formats::TensorView& t : file.tensors()) {
    if (!names.count(t.name)) return in.Error(t.name, "is not part of the format");
  }

  OodDetector d;
  d.space_ = *space;
  ASSIGN_OR_RETURN(const formats::TensorView* means, in.Get("means", formats::DType::kF64, 2));
  d.classes_ = means->shape[0];
  d.dims_ = means->shape[1];
  if (d.classes_ < 1 || d.dims_ < 1 || d.dims_ > kMaxDims) {
    return in.Error("means", fmt::format("has shape {}: expected [classes >= 1, 1..{} features]",
                                         ShapeText(means->shape), kMaxDims));
  }
  ASSIGN_OR_RETURN(d.means_, in.Doubles(*means));

  ASSIGN_OR_RETURN(const formats::TensorView* counts, in.Get("counts", formats::DType::kI64, 1));
  if (counts->shape[0] != d.classes_) {
    return in.Error("counts", fmt::format("has shape {}, expected [{}] (one per class of means)",
                                          ShapeText(counts->shape), d.classes_));
  }
  d.counts_.resize(static_cast<size_t>(d.classes_));
  std::memcpy(d.counts_.data(), counts->data.data(), d.counts_.size() * sizeof(int64_t));
  int64_t total = 0;
  for (size_t c = 0; c < d.counts_.size(); ++c) {
    const int64_t n = d.counts_[c];
    if (n < 0 || n > (INT64_C(1) << 48)) {
      return in.Error("counts", fmt::format("has count {} for class {}", n, c));
    }
    total += n;
    if (n == 0) {
      for (int64_t i = 0; i < d.dims_; ++i) {
        if (d.means_[c * static_cast<size_t>(d.dims_) + static_cast<size_t>(i)] != 0.0) {
          return in.Error("means", fmt::format("has a mean for class {}, which has no rows", c));
        }
      }
    }
  }

  ASSIGN_OR_RETURN(d.fit_rows_, in.Count("fit_rows"));
  if (d.fit_rows_ < 2 || d.fit_rows_ > total) {
    return in.Error("fit_rows", fmt::format("is {}: expected 2 to {} (the rows in counts)",
                                            d.fit_rows_, total));
  }
  ASSIGN_OR_RETURN(d.calibration_rows_, in.Count("calibration_rows"));
  if (d.calibration_rows_ < 0 || d.calibration_rows_ > (INT64_C(1) << 48)) {
    return in.Error("calibration_rows", fmt::format("is {}: expected >= 0", d.calibration_rows_));
  }

  ASSIGN_OR_RETURN(const formats::TensorView* chol, in.Get("cholesky", formats::DType::kF64, 2));
  if (chol->shape != std::vector<int64_t>{d.dims_, d.dims_}) {
    return in.Error("cholesky", fmt::format("has shape {}, expected [{}, {}] (features of means)",
                                            ShapeText(chol->shape), d.dims_, d.dims_));
  }
  ASSIGN_OR_RETURN(std::vector<double> lower, in.Doubles(*chol));
  for (int64_t i = 0; i < d.dims_; ++i) {
    const double* row = lower.data() + i * d.dims_;
    if (!(row[i] > 0.0)) {
      return in.Error("cholesky", fmt::format("has diagonal {} at {}: expected > 0", row[i], i));
    }
    for (int64_t j = i + 1; j < d.dims_; ++j) {
      if (row[j] != 0.0) {
        return in.Error("cholesky",
                        fmt::format("is not lower triangular: [{}, {}] is {}", i, j, row[j]));
      }
    }
  }

  ASSIGN_OR_RETURN(d.quantile_, in.Scalar("quantile"));
  if (!(d.quantile_ > 0.0 && d.quantile_ <= 1.0)) {
    return in.Error("quantile", fmt::format("is {}: expected a value in (0, 1]", d.quantile_));
  }
  ASSIGN_OR_RETURN(d.threshold_, in.Scalar("threshold"));
  if (d.threshold_ < 0.0) {
    return in.Error("threshold", fmt::format("is {}: expected >= 0", d.threshold_));
  }
  ASSIGN_OR_RETURN(d.ridge_, in.Scalar("ridge"));
  if (!(d.ridge_ > 0.0)) return in.Error("ridge", fmt::format("is {}: expected > 0", d.ridge_));
  d.stride_ = internal::PaddedDims(d.dims_);
  d.Prepare(lower.data(), d.dims_);
  return d;
}

Json OodDetector::Summary() const {
  return {{"method", std::string(kMethod)},
          {"space", std::string(FeatureSpaceName(space_))},
          {"quantile", quantile_},
          {"threshold", threshold_},
          {"dims", dims_},
          {"classes", classes_},
          {"fit_rows", fit_rows_},
          {"calibration_rows", calibration_rows_},
          {"ridge", ridge_}};
}

}  // namespace citadel::ml
