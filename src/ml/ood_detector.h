// An out-of-distribution (evasion) detector for one model: the
// class-conditional Mahalanobis detector of Lee et al. 2018 ("A Simple
// Unified Framework for Detecting Out-of-Distribution Samples"), in one of
// two feature spaces (FeatureSpace): the model's penultimate layer — the
// activations its output layer reads, as Lee et al. fit it — or its input
// features, the preprocessed values a dataset artifact holds. Fitted by the
// train step after training (InferenceSession::FitOodDetector), stored in
// the model artifact as ood.safetensors (docs/formats/model.md), carried by
// the model's InferenceSession and scored by batch jobs and the server. No
// torch.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "ml/dataset_view.h"
#include "ml/kernels/mahalanobis_kernels.h"

namespace citadel::ml {

// One mean per class and one covariance shared by all classes, fitted on
// training rows; the score of a row is its smallest squared Mahalanobis
// distance to a class mean, and the threshold is the `quantile` of training
// rows' scores: a row scoring above it is out of distribution.
//
// Which training rows (all chosen by a fixed seed, so by the data alone):
// - calibration: with 1000 rows or more, a fifth of them (at most
//   CalibrationRowLimit) is held out and the threshold is their quantile;
//   by construction about (1 - quantile) of unseen in-distribution rows
//   score above it. Scores of the rows a covariance was fitted on are
//   optimistic (at 784 features and 6000 rows, by more than the spread of
//   the scores), so they would flag far more than that. Below 1000 rows
//   nothing is held out and the threshold is the fitted rows' own quantile.
// - means: every other row. A class with none has no mean and is never
//   the nearest.
// - covariance: those rows, subsampled to FitRowLimit(dims) (it costs
//   rows·dims²/2 multiply-adds, kept near 6e9: ~19500 rows at 784 features).
//
// The covariance gets a ridge λ·I added before it is factored: λ is 1e-3 of
// the mean feature variance (1.0 when every feature is constant within its
// class). It makes a singular covariance (constant or collinear features)
// invertible; a direction the training rows never varied in then costs
// deviation² / λ.
//
// Immutable once built: Score and every accessor are safe to call from any
// number of threads without synchronisation.
// Which features a detector's rows are.
enum class FeatureSpace {
  // The preprocessed input features: any model has them; distances there
  // measure how far a row is from the training data, not from what the
  // model learned, and cost dims²/2 per row at the input's width (784 for
  // a 28×28 image).
  kInputFeatures,
  // The activations the model's output layer reads (after the last hidden
  // block): what the network made of a row. A row crafted to cross a
  // decision boundary with a small change to the input moves far here
  // (Lee et al.'s use), and the width is the last hidden layer's.
  kPenultimate,
};
// "input_features" / "penultimate": the names in ood.safetensors and specs.
std::string_view FeatureSpaceName(FeatureSpace space);

class OodDetector {
 public:
  // The most features a detector is fitted for: fitting holds dims² doubles
  // (8 MiB at this size), a loaded detector's factor about half of that,
  // and fitting costs ~3 s here, ~2 s at 784 features
  // (more features would need the covariance on fewer rows than 8 per
  // feature, or longer).
  static constexpr int64_t kMaxDims = 1024;
  // The most rows the covariance is computed on, and the most held-out rows
  // the threshold is calibrated on (class comment).
  static int64_t FitRowLimit(int64_t dims);
  static int64_t CalibrationRowLimit(int64_t dims);

  // `features` is rows × dims, row-major; `labels[r]` in [0, classes).
  // Computes in double, on one thread, in a fixed order: the same inputs
  // give bit-identical ToSafetensors() bytes. InvalidArgument when rows < 2, dims is 0
  // or above kMaxDims, sizes disagree, quantile is not in (0, 1], a label is
  // out of range or a feature is NaN / ±inf (naming the row and feature).
  // `space` only labels the rows: the caller computed them.
  static Result<OodDetector> Fit(std::span<const float> features, int64_t rows, int64_t dims,
                                 std::span<const int64_t> labels, int64_t classes,
                                 double quantile = 0.99,
                                 FeatureSpace space = FeatureSpace::kInputFeatures);
  // A dataset artifact's rows for Fit: data.safetensors' `features` (F32
  // [rows, dims]) and `labels` (I64 [rows]), schema.label.classes' count as
  // the classes (InferenceSession::FitOodDetector reads them so). `features` points
  // into `data` (or into `copy` when the bytes are not aligned for float),
  // so `data` must outlive it. InvalidArgument naming the dataset when the
  // tensors or schema.json's label.classes are not what a dataset holds.
  struct LabelledRows {
    LabelledRows() = default;
    // Move-only: `features` may point into `copy`, which a move keeps in
    // place and a copy would not.
    LabelledRows(LabelledRows&&) = default;
    LabelledRows& operator=(LabelledRows&&) = default;
    LabelledRows(const LabelledRows&) = delete;
    LabelledRows& operator=(const LabelledRows&) = delete;

    std::span<const float> features;  // rows × dims
    int64_t rows = 0;
    int64_t dims = 0;
    std::vector<int64_t> labels;
    int64_t classes = 0;
    std::vector<float> copy;
  };
  static Result<LabelledRows> ReadLabelledRows(const DatasetView& data);

  // Parses ood.safetensors strictly: exactly the tensors ToSafetensors
  // writes, with their dtypes and consistent shapes, finite values, a lower
  // triangular factor with a positive diagonal. InvalidArgument (not a
  // safetensors file) or DataLoss (a tensor that breaks the format), naming
  // `source` and the tensor.
  static Result<OodDetector> FromSafetensors(std::string_view bytes, std::string_view source);
  // Deterministic: the same detector always gives the same bytes.
  std::string ToSafetensors() const;

  // The smallest squared Mahalanobis distance from `row` (dims values, the
  // preprocessed features) to a class mean; costs ~dims²/2 + classes·dims
  // multiply-adds and allocates nothing after a thread's first call. A row of
  // the wrong length or with a NaN / ±inf value scores +infinity.
  double Score(std::span<const float> row) const;
  // Score of each of `rows` rows of `features` (rows × dims, row-major), bit
  // for bit Score's. With AVX-512 or AVX2, in a fraction of the time per
  // row: the solve takes several rows per read of the factor (Score is bound
  // by reading it; kernels/mahalanobis_kernels.h), in blocks of kScoreBlock.
  // Every row scores +infinity when features holds other than rows × dims
  // values.
  std::vector<double> ScoreRows(std::span<const float> features, int64_t rows) const;
  static constexpr int64_t kScoreBlock = 16;
  // Score(row) > threshold().
  bool IsOutOfDistribution(std::span<const float> row) const { return Score(row) > threshold_; }

  double threshold() const { return threshold_; }
  double quantile() const { return quantile_; }
  double ridge() const { return ridge_; }
  int64_t dims() const { return dims_; }
  FeatureSpace space() const { return space_; }
  int64_t classes() const { return classes_; }
  int64_t fit_rows() const { return fit_rows_; }
  // Held-out rows the threshold was calibrated on; 0 = the fitted rows.
  int64_t calibration_rows() const { return calibration_rows_; }

  // {"method": "mahalanobis", "space": FeatureSpaceName, "quantile", "threshold",
  //  "dims", "classes", "fit_rows", "calibration_rows", "ridge"}
  Json Summary() const;

 private:
  OodDetector() = default;
  // Sets factor_ from the lower factor (dims rows of `lower_stride` doubles)
  // and interleaved_ from means_.
  void Prepare(const double* lower, int64_t lower_stride);
  // z = L⁻¹ z in place; z holds stride_ values, those past dims_ zero.
  void Whiten(double* z) const;
  // Scores `count` ≤ kScoreBlock rows of dims_ values each.
  void ScoreBlock(const float* rows, int64_t count, double* scores) const;
  // The smallest squared distance from whitened z to a whitened class mean.
  double NearestMean(const double* z) const;

  int64_t dims_ = 0;
  FeatureSpace space_ = FeatureSpace::kInputFeatures;
  int64_t stride_ = 0;  // internal::PaddedDims(dims_): the width of a row the kernels work on
  int64_t classes_ = 0;
  int64_t fit_rows_ = 0;
  int64_t calibration_rows_ = 0;
  double quantile_ = 0.99;
  double threshold_ = 0;
  double ridge_ = 0;
  std::vector<int64_t> counts_;  // rows per class the means were computed on; 0 = no mean
  std::vector<double> means_;    // classes × dims
  // L (L·Lᵀ = covariance + ridge·I), packed for the solve.
  internal::PackedFactor factor_;
  // L⁻¹·mean per class, feature by feature: dims_ × class_width_ (classes_
  // rounded up to 4, zero-padded), so that all classes' distances take one
  // pass over a row.
  std::vector<double> interleaved_;
  int64_t class_width_ = 0;
};

}  // namespace citadel::ml
