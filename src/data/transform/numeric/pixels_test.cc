#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "data/testing/table_fixtures.h"
#include "data/transform/numeric/numeric_test_support.h"

namespace citadel::data {
namespace {

using numeric_test::FailsWith;
using numeric_test::FitApply;
using testing::FloatColumn;
using testing::IntColumn;
using testing::MakeTable;
using testing::StringColumn;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr auto kNone = std::nullopt;

TEST(ScalePixels, DividesByMaxOnEveryNumericFeatureButTheLabel) {
  Table t = MakeTable({IntColumn("p0", {0, 51, 255, kNone}), IntColumn("p1", {255, 0, 102, 0}),
                       IntColumn("digit", {3, 7, 1, 0})},
                      "digit");
  ASSERT_TRUE(FitApply("{ op: scale_pixels }", t).ok());
  EXPECT_EQ(t.columns[0].type, ColumnType::kFloat);
  EXPECT_EQ(t.columns[0].floats[0], 0.0);
  EXPECT_DOUBLE_EQ(t.columns[0].floats[1], 0.2);
  EXPECT_EQ(t.columns[0].floats[2], 1.0);
  EXPECT_FALSE(t.columns[0].is_valid(3));
  EXPECT_DOUBLE_EQ(t.columns[1].floats[2], 0.4);
  EXPECT_EQ(t.columns[2].type, ColumnType::kInt);  // the label is no feature
}

TEST(ScalePixels, CenterFitsOneMeanAndStdOverAllColumnsOfTheTrainingRows) {
  Table t = MakeTable({IntColumn("a", {0, 255, 0}), IntColumn("b", {255, 255, 0})});
  ASSERT_TRUE(FitApply("{ op: scale_pixels, center: true }", t, std::vector<size_t>{0, 1}).ok());
  // Training values /255: 0, 1, 1, 1 → mean 0.75, population std sqrt(0.1875).
  const double sd = std::sqrt(0.1875);
  EXPECT_DOUBLE_EQ(t.columns[0].floats[0], -0.75 / sd);  // = -sqrt(3)
  EXPECT_DOUBLE_EQ(t.columns[0].floats[1], 0.25 / sd);
  EXPECT_DOUBLE_EQ(t.columns[1].floats[0], 0.25 / sd);
  EXPECT_DOUBLE_EQ(t.columns[1].floats[2], -0.75 / sd);  // held-out row, training mean/std
  EXPECT_NEAR(t.columns[0].floats[0], -std::sqrt(3.0), 1e-12);
}

TEST(ScalePixels, CustomMaxAndConstantImagesCenterWithStdOne) {
  Table t = MakeTable({FloatColumn("p", {0.5, 0.5})});
  ASSERT_TRUE(FitApply("{ op: scale_pixels, columns: p, max: 1, center: true }", t).ok());
  EXPECT_EQ(t.columns[0].floats, (std::vector<double>{0.0, 0.0}));
  Table deep = MakeTable({IntColumn("p", {65535, 0})});
  ASSERT_TRUE(FitApply("{ op: scale_pixels, columns: p, max: 65535 }", deep).ok());
  EXPECT_EQ(deep.columns[0].floats, (std::vector<double>{1.0, 0.0}));
}

TEST(ScalePixels, ValueOutsideZeroToMaxIsAnErrorNamingRowColumnAndValue) {
  for (double bad : {256.0, -1.0, kNaN, kInf}) {
    Table t = MakeTable({FloatColumn("ok", {1, 2}), FloatColumn("px7", {3, bad})});
    Status s = FitApply("{ op: scale_pixels }", t, std::vector<size_t>{0});
    EXPECT_TRUE(
        FailsWith(s, {"t.csv:3: scale_pixels: column 'px7' value", "outside [0, 255]", "max:"}))
        << bad;
    EXPECT_EQ(t.columns[0].floats[1], 2.0) << "the table must be left as it was";
  }
  Table train = MakeTable({IntColumn("p", {0, 300})});
  EXPECT_TRUE(
      FailsWith(FitApply("{ op: scale_pixels, center: true }", train, std::vector<size_t>{1}),
                {"t.csv:3", "'p'", "'300'"}));
}

TEST(ScalePixels, EmptyAllMissingAndSingleRowInputs) {
  Table empty = MakeTable({IntColumn("p", {})});
  ASSERT_TRUE(FitApply("{ op: scale_pixels }", empty).ok());
  EXPECT_TRUE(FailsWith(FitApply("{ op: scale_pixels, center: true }", empty),
                        {"center: true", "no present value on the 0 training rows"}));
  Table missing = MakeTable({IntColumn("p", {kNone})});
  ASSERT_TRUE(FitApply("{ op: scale_pixels }", missing).ok());
  EXPECT_EQ(missing.columns[0].CountMissing(), 1u);
  Table single = MakeTable({IntColumn("p", {128})});
  ASSERT_TRUE(FitApply("{ op: scale_pixels, center: true }", single).ok());
  EXPECT_EQ(single.columns[0].floats[0], 0.0);  // std 0 → 1, and x - mean = 0
}

TEST(ScalePixels, ServingTableUsesTheTrainingStatisticsAndChecksTypes) {
  auto reloaded = numeric_test::FitAndReload("{ op: scale_pixels, center: true }",
                                             MakeTable({IntColumn("p", {0, 255})}));
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  Table serving = MakeTable({IntColumn("p", {255})});
  ASSERT_TRUE((*reloaded)->Apply(serving).ok());
  EXPECT_DOUBLE_EQ(serving.columns[0].floats[0], 1.0);  // (1 - 0.5) / 0.5
  Table wrong = MakeTable({StringColumn("p", {"255"})});
  EXPECT_TRUE(FailsWith((*reloaded)->Apply(wrong), {"'p' is string here"}));
}

TEST(ScalePixels, BadSpecsAndTamperedStatisticsAreErrors) {
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: scale_pixels, max: 0 }"), {"max"}));
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: scale_pixels, max: -255 }"), {"max"}));
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: scale_pixels, center: 1 }"), {"center"}));
  Table t = MakeTable({StringColumn("s", {"a"})});
  EXPECT_TRUE(FailsWith(FitApply("{ op: scale_pixels, columns: s }", t), {"'s' is string"}));
  EXPECT_TRUE(FailsWith(FitApply("{ op: scale_pixels }", t), {"all_numeric selects no column"}));
  Json stored = {{"op", "scale_pixels"},
                 {"columns", "all_numeric"},
                 {"max", 255},
                 {"center", true},
                 {"fitted", {{"columns", {"p"}}, {"mean", 0.5}, {"std", 0}}}};
  EXPECT_TRUE(FailsWith(LoadFittedTransform(stored, {}, "schema.json"), {"std positive"}));
  stored["fitted"].erase("std");
  EXPECT_TRUE(FailsWith(LoadFittedTransform(stored, {}, "schema.json"), {"\"std\""}));
}

}  // namespace
}  // namespace citadel::data
