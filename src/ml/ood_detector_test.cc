#include "ml/ood_detector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <thread>

#include "formats/safetensors.h"
#include "ml/test_datasets.h"

namespace citadel::ml {
namespace {

// Rows drawn around one centre per class: class c's centre is 4 at feature
// c % dims, 0 elsewhere; every feature gets N(0, 1) noise.
struct Blobs {
  std::vector<float> x;
  std::vector<int64_t> y;
  int64_t rows = 0;
  int64_t dims = 0;
  int64_t classes = 0;
  std::span<const float> Row(int64_t r) const {
    return std::span<const float>(x).subspan(static_cast<size_t>(r * dims),
                                             static_cast<size_t>(dims));
  }
};

Blobs MakeBlobs(int64_t rows, int64_t dims, int64_t classes, uint64_t seed) {
  Blobs b;
  b.rows = rows;
  b.dims = dims;
  b.classes = classes;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t c = r % classes;
    b.y.push_back(c);
    for (int64_t i = 0; i < dims; ++i) {
      b.x.push_back(static_cast<float>((i == c % dims ? 4.0 : 0.0) + noise(rng)));
    }
  }
  return b;
}

OodDetector FitOrDie(const Blobs& b, double quantile = 0.99) {
  Result<OodDetector> d = OodDetector::Fit(b.x, b.rows, b.dims, b.y, b.classes, quantile);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return std::move(*d);
}

double FlaggedShare(const OodDetector& d, const Blobs& b) {
  int64_t flagged = 0;
  for (int64_t r = 0; r < b.rows; ++r) flagged += d.IsOutOfDistribution(b.Row(r)) ? 1 : 0;
  return static_cast<double>(flagged) / static_cast<double>(b.rows);
}

TEST(OodDetector, FlagsAboutOneMinusQuantileOfItsTrainingRowsAndFarRows) {
  const Blobs train = MakeBlobs(600, 5, 3, 1);
  const OodDetector d = FitOrDie(train, 0.95);
  EXPECT_EQ(d.calibration_rows(), 0);  // below 1000 rows: the fitted rows' own scores
  EXPECT_EQ(d.fit_rows(), 600);
  // The threshold is the 570th smallest of the 600 scores: exactly 30 above.
  EXPECT_DOUBLE_EQ(FlaggedShare(d, train), 0.05);

  std::vector<float> far(5, 0.0f);
  far[4] = 12.0f;  // 12 standard deviations along a feature no centre uses
  EXPECT_TRUE(d.IsOutOfDistribution(far));
  std::vector<float> centre = {4.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  EXPECT_FALSE(d.IsOutOfDistribution(centre));
  EXPECT_LT(d.Score(centre), 1.0);
}

TEST(OodDetector, HeldOutThresholdFlagsAboutOneMinusQuantileOfUnseenRows) {
  // 200 features from 4000 rows: scores of the rows the covariance was
  // fitted on are lower than unseen rows' (the class comment), which is why
  // the threshold comes from held-out rows.
  const Blobs train = MakeBlobs(5000, 200, 10, 2);
  const OodDetector d = FitOrDie(train, 0.95);
  EXPECT_EQ(d.calibration_rows(), 1000);
  EXPECT_EQ(d.fit_rows(), 4000);
  const Blobs unseen = MakeBlobs(2000, 200, 10, 3);
  const double share = FlaggedShare(d, unseen);
  EXPECT_GT(share, 0.02);
  EXPECT_LT(share, 0.09);
  // Shifting every feature by one standard deviation is obvious in 200
  // dimensions.
  Blobs shifted = unseen;
  for (float& v : shifted.x) v += 1.0f;
  EXPECT_GT(FlaggedShare(d, shifted), 0.99);
}

TEST(OodDetector, ScoreIsTheSquaredMahalanobisDistanceToTheNearestMean) {
  // Two classes in two features, worked out directly: pooled covariance of
  // the class-centred rows (divided by n), plus the ridge.
  const std::vector<float> x = {1, 2, 3, 1, 2, 4, 10, 10, 12, 11, 11, 13};
  const std::vector<int64_t> y = {0, 0, 0, 1, 1, 1};
  Result<OodDetector> d = OodDetector::Fit(x, 6, 2, y, 2, 0.5);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const double m[2][2] = {{2, 7.0 / 3}, {11, 34.0 / 3}};
  double s00 = 0, s01 = 0, s11 = 0;
  for (int r = 0; r < 6; ++r) {
    const double a = x[2 * r] - m[y[r]][0], b = x[2 * r + 1] - m[y[r]][1];
    s00 += a * a;
    s01 += a * b;
    s11 += b * b;
  }
  s00 /= 6;
  s01 /= 6;
  s11 /= 6;
  EXPECT_NEAR(d->ridge(), 1e-3 * (s00 + s11) / 2, 1e-15);
  s00 += d->ridge();
  s11 += d->ridge();
  const double det = s00 * s11 - s01 * s01;
  const auto mahalanobis = [&](double u, double v, int c) {
    const double a = u - m[c][0], b = v - m[c][1];
    return (s11 * a * a - 2 * s01 * a * b + s00 * b * b) / det;
  };
  const std::vector<float> row = {5.0f, 3.0f};
  const double want = std::min(mahalanobis(5, 3, 0), mahalanobis(5, 3, 1));
  EXPECT_NEAR(d->Score(row), want, 1e-9 * want);
}

TEST(OodDetector, SerializationRoundTripsToTheSameBytesAndScores) {
  const Blobs train = MakeBlobs(1500, 7, 4, 4);
  const OodDetector d = FitOrDie(train);
  const std::string bytes = d.ToSafetensors();
  Result<OodDetector> back = OodDetector::FromSafetensors(bytes, "model m");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ToSafetensors(), bytes);
  EXPECT_EQ(back->Summary(), d.Summary());
  for (int64_t r = 0; r < 50; ++r) EXPECT_EQ(back->Score(train.Row(r)), d.Score(train.Row(r)));
  const Json s = d.Summary();
  EXPECT_EQ(s["method"], "mahalanobis");
  EXPECT_EQ(s["space"], "input_features");
  EXPECT_EQ(s["quantile"], 0.99);
  EXPECT_EQ(s["dims"], 7);
  EXPECT_EQ(s["classes"], 4);
  EXPECT_EQ(s["threshold"], d.threshold());
}

// The space a detector was fitted in travels in the file's metadata; a
// detector written before spaces existed says input_features and reads so;
// any other space is a file of another format.
TEST(OodDetector, RecordsItsFeatureSpaceAndRefusesAnUnknownOne) {
  const Blobs train = MakeBlobs(300, 5, 3, 6);
  auto fitted = OodDetector::Fit(train.x, train.rows, train.dims, train.y, train.classes, 0.99,
                                 FeatureSpace::kPenultimate);
  ASSERT_TRUE(fitted.ok()) << fitted.status().ToString();
  const std::string bytes = fitted->ToSafetensors();
  auto back = OodDetector::FromSafetensors(bytes, "model m");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->space(), FeatureSpace::kPenultimate);
  EXPECT_EQ(back->Summary()["space"], "penultimate");
  EXPECT_EQ(FitOrDie(train).space(), FeatureSpace::kInputFeatures);

  auto file = formats::SafetensorsFile::Parse(bytes, "m");
  ASSERT_TRUE(file.ok());
  formats::SafetensorsWriter w;
  for (const formats::TensorView& t : file->tensors()) {
    ASSERT_TRUE(w.Add(t.name, t.dtype, t.shape, std::string(t.data)).ok());
  }
  for (const auto& [key, value] : file->metadata()) w.SetMetadata(key, value);
  w.SetMetadata("space", "hidden_layer_2");
  auto unknown = OodDetector::FromSafetensors(w.Serialize(), "model m");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(unknown.status().message().find("model m: ood.safetensors is not a citadel.ood/v1 "
                                            "mahalanobis detector over input_features or "
                                            "penultimate"),
            std::string::npos)
      << unknown.status().ToString();
}

TEST(OodDetector, SameDataGivesBitIdenticalBytes) {
  const Blobs train = MakeBlobs(3000, 37, 5, 5);  // 37: not a multiple of the kernels' 4
  EXPECT_EQ(FitOrDie(train).ToSafetensors(), FitOrDie(train).ToSafetensors());
  Blobs other = train;
  other.x[100] += 0.5f;
  EXPECT_NE(FitOrDie(other).ToSafetensors(), FitOrDie(train).ToSafetensors());
}

TEST(OodDetector, BoundsTheRowsItFitsAndCalibratesOn) {
  // Fashion-MNIST (60000 rows of 784 features) is subsampled; few features
  // never are.
  EXPECT_GE(OodDetector::FitRowLimit(784), 8 * 784);
  EXPECT_LT(OodDetector::FitRowLimit(784), 48000);
  EXPECT_EQ(OodDetector::FitRowLimit(4), 750000000);
  EXPECT_EQ(OodDetector::CalibrationRowLimit(4096), 2000);
  const Blobs train = MakeBlobs(12000, 40, 3, 6);
  const OodDetector d = FitOrDie(train);
  EXPECT_EQ(d.calibration_rows(), 2400);
  EXPECT_EQ(d.fit_rows(), 9600);
  EXPECT_EQ(d.Summary()["fit_rows"], 9600);
  EXPECT_EQ(d.Summary()["calibration_rows"], 2400);
}

TEST(OodDetector, SingularCovarianceIsRegularisedByTheRidge) {
  // Feature 1 is constant, feature 2 is a copy of feature 0.
  Blobs train = MakeBlobs(300, 3, 2, 7);
  for (int64_t r = 0; r < train.rows; ++r) {
    train.x[static_cast<size_t>(r * 3 + 1)] = 5.0f;
    train.x[static_cast<size_t>(r * 3 + 2)] = train.x[static_cast<size_t>(r * 3)];
  }
  const OodDetector d = FitOrDie(train);
  EXPECT_TRUE(std::isfinite(d.threshold()));
  EXPECT_GT(d.ridge(), 0.0);
  EXPECT_FALSE(d.IsOutOfDistribution(train.Row(0)));
  // A change along a direction the training rows never varied in.
  std::vector<float> row(train.Row(0).begin(), train.Row(0).end());
  row[1] = 5.5f;
  EXPECT_TRUE(d.IsOutOfDistribution(row));
  row = std::vector<float>(train.Row(0).begin(), train.Row(0).end());
  row[2] += 0.5f;  // breaks the copy
  EXPECT_TRUE(d.IsOutOfDistribution(row));
}

TEST(OodDetector, ConstantFeaturesGetAUnitRidge) {
  const std::vector<float> x = {1, 2, 1, 2, 1, 2};
  const std::vector<int64_t> y = {0, 0, 0};
  Result<OodDetector> d = OodDetector::Fit(x, 3, 2, y, 1);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->ridge(), 1.0);
  EXPECT_EQ(d->threshold(), 0.0);
  EXPECT_DOUBLE_EQ(d->Score(std::vector<float>{4, 2}), 9.0);
}

TEST(OodDetector, ClassWithoutRowsIsNeverTheNearest) {
  const Blobs all = MakeBlobs(300, 4, 3, 8);
  Blobs train = all;  // without class 1's rows
  train.x.clear();
  train.y.clear();
  for (int64_t r = 0; r < all.rows; ++r) {
    if (all.y[static_cast<size_t>(r)] == 1) continue;
    train.x.insert(train.x.end(), all.Row(r).begin(), all.Row(r).end());
    train.y.push_back(all.y[static_cast<size_t>(r)]);
  }
  train.rows = static_cast<int64_t>(train.y.size());
  Result<OodDetector> d = OodDetector::Fit(train.x, train.rows, train.dims, train.y, 3);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->classes(), 3);
  // Class 1's centre would be (0, 4, 0, 0): without a mean it is far.
  EXPECT_TRUE(d->IsOutOfDistribution(std::vector<float>{0, 4, 0, 0}));
  Result<OodDetector> back = OodDetector::FromSafetensors(d->ToSafetensors(), "m");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ToSafetensors(), d->ToSafetensors());
}

TEST(OodDetector, ScoresMalformedRowsAsInfinitelyFar) {
  const OodDetector d = FitOrDie(MakeBlobs(100, 3, 2, 9));
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(d.Score(std::vector<float>{0, 0}), inf);
  EXPECT_EQ(d.Score(std::vector<float>{0, 0, 0, 0}), inf);
  EXPECT_EQ(d.Score(std::vector<float>{0, std::nanf(""), 0}), inf);
  EXPECT_EQ(d.Score(std::vector<float>{0, 0, std::numeric_limits<float>::infinity()}), inf);
  EXPECT_TRUE(d.IsOutOfDistribution(std::vector<float>{0, std::nanf(""), 0}));
}

// Score runs one row alone; ScoreRows solves rows two at a time in blocks:
// different code paths that must agree to the last bit, across block
// boundaries and for an odd row out, with malformed rows scored apart.
TEST(OodDetector, ScoresRowsInBlocksExactlyAsOneAtATime) {
  const Blobs train = MakeBlobs(300, 37, 3, 12);
  const OodDetector d = FitOrDie(train);
  std::vector<float> x = train.x;
  x[5 * 37 + 3] = std::nanf("");                        // row 5
  x[18 * 37] = std::numeric_limits<float>::infinity();  // row 18
  for (int64_t rows : {1, 2, 3, 16, 17, 35, 300}) {
    SCOPED_TRACE(rows);
    const std::span<const float> some(x.data(), static_cast<size_t>(rows * 37));
    const std::vector<double> got = d.ScoreRows(some, rows);
    ASSERT_EQ(got.size(), static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
      const double want = d.Score(some.subspan(static_cast<size_t>(r * 37), 37));
      ASSERT_EQ(std::memcmp(&got[static_cast<size_t>(r)], &want, sizeof want), 0)
          << "row " << r << ": " << got[static_cast<size_t>(r)] << " against " << want;
    }
  }
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(d.ScoreRows(x, 300)[5], inf);
  EXPECT_EQ(d.ScoreRows(x, 300)[18], inf);
  EXPECT_LT(d.ScoreRows(x, 300)[6], inf);
  EXPECT_EQ(d.ScoreRows(std::span<const float>(x.data(), 37 * 3 - 1), 3),
            std::vector<double>(3, inf))
      << "a short buffer scores every row as infinitely far";
  EXPECT_TRUE(d.ScoreRows({}, 0).empty());
}

TEST(OodDetector, ScoresTheSameFromManyThreads) {
  const Blobs train = MakeBlobs(400, 50, 4, 10);
  const OodDetector d = FitOrDie(train);
  std::vector<double> want;
  for (int64_t r = 0; r < train.rows; ++r) want.push_back(d.Score(train.Row(r)));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int64_t r = 0; r < train.rows; ++r) {
        if (d.Score(train.Row(r)) != want[static_cast<size_t>(r)]) ++mismatches[t];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(OodDetector, FitRefusesBadInputNamingTheRow) {
  const Blobs b = MakeBlobs(10, 3, 2, 11);
  const auto fit = [&](std::span<const float> x, int64_t rows, int64_t dims,
                       std::span<const int64_t> y, int64_t classes, double q) {
    return OodDetector::Fit(x, rows, dims, y, classes, q).status();
  };
  std::vector<float> nan_x = b.x;
  nan_x[3 * 7 + 2] = std::nanf("");
  std::vector<float> inf_x = b.x;
  inf_x[3 * 4] = -std::numeric_limits<float>::infinity();
  std::vector<int64_t> bad_y = b.y;
  bad_y[6] = 2;
  const std::vector<float> wide(1025 * 2, 0.0f);
  const std::vector<int64_t> two = {0, 0};
  struct Case {
    Status status;
    std::string expected;
  };
  const Case cases[] = {
      {fit(nan_x, 10, 3, b.y, 2, 0.99), "row 7 feature 2 is nan"},
      {fit(inf_x, 10, 3, b.y, 2, 0.99), "row 4 feature 0 is -inf"},
      {fit(b.x, 10, 3, bad_y, 2, 0.99), "row 6 has label 2, outside [0, 2)"},
      {fit(std::span<const float>(b.x).first(3), 1, 3, std::span<const int64_t>(b.y).first(1), 2,
           0.99),
       "at least 2 rows"},
      {fit({}, 10, 0, b.y, 2, 0.99), "1 to 1024 features, got 0"},
      {fit(wide, 2, 1025, two, 1, 0.99), "got 1025"},
      {fit(b.x, 9, 3, b.y, 2, 0.99), "30 feature values and 10 labels for 9 rows"},
      {fit(b.x, 10, 3, b.y, 2, 0.0), "quantile 0 is not in (0, 1]"},
      {fit(b.x, 10, 3, b.y, 2, 1.5), "quantile 1.5"},
      {fit(b.x, 10, 3, b.y, 0, 0.99), "needs a class"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.status.code(), StatusCode::kInvalidArgument) << c.status.ToString();
    EXPECT_NE(c.status.message().find(c.expected), std::string::npos)
        << c.status.ToString() << " (expected: " << c.expected << ")";
  }
}

TEST(OodDetector, FitsADatasetArtifactsFeaturesAndLabels) {
  const DatasetView data = testing::Blobs(300, 12);
  auto rows = OodDetector::ReadLabelledRows(data);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->rows, 300);
  EXPECT_EQ(rows->dims, 4);
  EXPECT_EQ(rows->classes, 3);
  Result<OodDetector> d =
      OodDetector::Fit(rows->features, rows->rows, rows->dims, rows->labels, rows->classes, 0.9);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->dims(), 4);
  EXPECT_EQ(d->classes(), 3);
  EXPECT_EQ(d->quantile(), 0.9);

  // Labels of the wrong dtype, and a schema without classes.
  DatasetView wrong = data;
  formats::SafetensorsWriter w;
  ASSERT_TRUE(w.Add("features", formats::DType::kF32, {2, 1}, std::string(8, '\0')).ok());
  ASSERT_TRUE(w.Add("labels", formats::DType::kI32, {2}, std::string(8, '\0')).ok());
  wrong.safetensors = w.Serialize();
  auto bad = OodDetector::ReadLabelledRows(wrong);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("blobs data.safetensors"), std::string::npos)
      << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("labels I32 [2]"), std::string::npos)
      << bad.status().ToString();
  DatasetView no_classes = data;
  no_classes.schema.erase("label");
  EXPECT_FALSE(OodDetector::ReadLabelledRows(no_classes).ok());
}

// A copy of a valid ood.safetensors with `edit` applied to its tensors.
struct Tensor {
  formats::DType dtype;
  std::vector<int64_t> shape;
  std::string data;
};
using Tensors = std::map<std::string, Tensor>;

std::string Rewrite(const std::string& good, const std::function<void(Tensors&)>& edit,
                    std::string format = "citadel.ood/v1") {
  auto file = formats::SafetensorsFile::Parse(good, "good");
  EXPECT_TRUE(file.ok());
  Tensors tensors;
  for (const formats::TensorView& t : file->tensors()) {
    tensors[t.name] = {t.dtype, t.shape, std::string(t.data)};
  }
  edit(tensors);
  formats::SafetensorsWriter w;
  for (auto& [name, t] : tensors) EXPECT_TRUE(w.Add(name, t.dtype, t.shape, t.data).ok()) << name;
  for (const auto& [key, value] : file->metadata()) w.SetMetadata(key, value);
  w.SetMetadata("format", std::move(format));
  return w.Serialize();
}

void SetDouble(Tensor& t, size_t index, double v) {
  std::memcpy(t.data.data() + index * sizeof v, &v, sizeof v);
}
void SetInt(Tensor& t, size_t index, int64_t v) {
  std::memcpy(t.data.data() + index * sizeof v, &v, sizeof v);
}

TEST(OodDetector, FromSafetensorsRefusesBrokenFilesNamingTheTensor) {
  const OodDetector d = FitOrDie(MakeBlobs(200, 3, 2, 13));
  const std::string good = d.ToSafetensors();
  const double nan = std::nan("");
  struct Case {
    std::string name;
    std::string bytes;
    std::string expected;  // in the message, beside the source
    StatusCode code = StatusCode::kDataLoss;
  };
  const std::vector<Case> cases = {
      {"truncated", good.substr(0, good.size() - 5), "invalid safetensors",
       StatusCode::kInvalidArgument},
      {"empty", "", "invalid safetensors", StatusCode::kInvalidArgument},
      {"missing", Rewrite(good, [](Tensors& t) { t.erase("threshold"); }),
       "tensor 'threshold' is missing"},
      {"extra",
       Rewrite(good,
               [](Tensors& t) {
                 t["precision"] = {formats::DType::kF64, {}, std::string(8, 0)};
               }),
       "tensor 'precision' is not part of the format"},
      {"dtype", Rewrite(good, [](Tensors& t) { t["counts"].dtype = formats::DType::kF64; }),
       "tensor 'counts' is F64 [2], expected I64"},
      {"rank", Rewrite(good, [](Tensors& t) { t["quantile"].shape = {1}; }),
       "tensor 'quantile' is F64 [1]"},
      {"factor shape",
       Rewrite(good,
               [](Tensors& t) {
                 t["cholesky"].shape = {1, 9};
               }),
       "tensor 'cholesky' has shape [1, 9], expected [3, 3]"},
      {"counts shape",
       Rewrite(good,
               [](Tensors& t) {
                 t["counts"] = {formats::DType::kI64, {1}, std::string(8, 0)};
               }),
       "tensor 'counts' has shape [1], expected [2]"},
      {"nan mean", Rewrite(good, [&](Tensors& t) { SetDouble(t["means"], 4, nan); }),
       "tensor 'means' has a non-finite value at 4"},
      {"upper entry", Rewrite(good, [](Tensors& t) { SetDouble(t["cholesky"], 1, 0.5); }),
       "tensor 'cholesky' is not lower triangular: [0, 1] is 0.5"},
      {"zero pivot", Rewrite(good, [](Tensors& t) { SetDouble(t["cholesky"], 4, 0.0); }),
       "tensor 'cholesky' has diagonal 0 at 1"},
      {"quantile", Rewrite(good, [](Tensors& t) { SetDouble(t["quantile"], 0, 1.5); }),
       "tensor 'quantile' is 1.5"},
      {"threshold", Rewrite(good, [](Tensors& t) { SetDouble(t["threshold"], 0, -1.0); }),
       "tensor 'threshold' is -1"},
      {"inf threshold",
       Rewrite(good,
               [](Tensors& t) {
                 SetDouble(t["threshold"], 0, std::numeric_limits<double>::infinity());
               }),
       "tensor 'threshold' has a non-finite value"},
      {"ridge", Rewrite(good, [](Tensors& t) { SetDouble(t["ridge"], 0, 0.0); }),
       "tensor 'ridge' is 0"},
      {"count", Rewrite(good, [](Tensors& t) { SetInt(t["counts"], 0, -3); }),
       "tensor 'counts' has count -3 for class 0"},
      {"fit rows", Rewrite(good, [](Tensors& t) { SetInt(t["fit_rows"], 0, 201); }),
       "tensor 'fit_rows' is 201: expected 2 to 200"},
      {"mean of an empty class", Rewrite(good, [](Tensors& t) { SetInt(t["counts"], 1, 0); }),
       "tensor 'means' has a mean for class 1, which has no rows"},
      {"format",
       Rewrite(
           good, [](Tensors&) {}, "citadel.ood/v0"),
       "format 'citadel.ood/v0'"},
  };
  for (const Case& c : cases) {
    Result<OodDetector> r = OodDetector::FromSafetensors(c.bytes, "model 1a2b");
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), c.code) << c.name << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos)
        << c.name << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find("model 1a2b"), std::string::npos)
        << c.name << ": " << r.status().ToString();
  }
  // The rewrite itself keeps a valid file valid.
  EXPECT_TRUE(OodDetector::FromSafetensors(Rewrite(good, [](Tensors&) {}), "m").ok());
}

}  // namespace
}  // namespace citadel::ml
