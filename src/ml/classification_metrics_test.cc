#include "ml/classification_metrics.h"

#include <gtest/gtest.h>

namespace citadel::ml {
namespace {

// truth  0 0 1 1 2
// pred   0 1 1 1 0   → confusion [[1,1,0],[0,2,0],[1,0,0]] worked out by hand.
TEST(ClassificationMetrics, MatchesHandComputedExample) {
  std::vector<int64_t> truth = {0, 0, 1, 1, 2};
  std::vector<int64_t> pred = {0, 1, 1, 1, 0};
  auto m = ComputeClassificationMetrics(truth, pred, 3);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.6);
  EXPECT_EQ(m.confusion, (std::vector<std::vector<int64_t>>{{1, 1, 0}, {0, 2, 0}, {1, 0, 0}}));
  EXPECT_DOUBLE_EQ(m.precision[0], 0.5);
  EXPECT_DOUBLE_EQ(m.precision[1], 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.precision[2], 0.0);  // never predicted: zero_division = 0
  EXPECT_DOUBLE_EQ(m.recall[1], 1.0);
  EXPECT_DOUBLE_EQ(m.f1[1], 0.8);
  EXPECT_NEAR(m.macro_f1, (0.5 + 0.8 + 0.0) / 3, 1e-12);
  EXPECT_EQ(m.support, (std::vector<int64_t>{2, 2, 1}));
}

TEST(ClassificationMetrics, PerfectPredictionsScoreOne) {
  std::vector<int64_t> y = {0, 1, 2, 1};
  auto m = ComputeClassificationMetrics(y, y, 3);
  EXPECT_DOUBLE_EQ(m.accuracy, 1.0);
  EXPECT_DOUBLE_EQ(m.macro_f1, 1.0);
}

TEST(ClassificationMetrics, EmptyInputIsAllZero) {
  auto m = ComputeClassificationMetrics({}, {}, 2);
  EXPECT_EQ(m.samples, 0);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.0);
}

TEST(ClassificationMetrics, JsonNamesClassesAndMatrix) {
  std::vector<int64_t> y = {0, 1};
  Json j = MetricsToJson(ComputeClassificationMetrics(y, y, 2), {"cat", "dog"});
  EXPECT_EQ(j["per_class"][1]["class"], "dog");
  EXPECT_EQ(j["confusion_matrix"]["counts"][1][1], 1);
  EXPECT_DOUBLE_EQ(j["metrics"]["accuracy"].get<double>(), 1.0);
}

}  // namespace
}  // namespace citadel::ml
