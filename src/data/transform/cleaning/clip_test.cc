#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "data/testing/table_fixtures.h"
#include "data/transform/numeric/numeric_test_support.h"

namespace citadel::data {
namespace {

using numeric_test::BoolColumn;
using numeric_test::FailsWith;
using numeric_test::FitApply;
using testing::FloatColumn;
using testing::IntColumn;
using testing::MakeTable;
using testing::StringColumn;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr auto kNone = std::nullopt;

TEST(Clip, BoundsValuesAndInfinitiesButLeavesNaNAndMissingAlone) {
  Table t = MakeTable({FloatColumn("x", {-5, 0.5, 20, kNaN, kInf, -kInf, kNone})});
  ASSERT_TRUE(FitApply("{ op: clip, columns: x, min: 0, max: 10 }", t).ok());
  const Column& x = t.columns[0];
  EXPECT_EQ(x.floats[0], 0.0);
  EXPECT_EQ(x.floats[1], 0.5);
  EXPECT_EQ(x.floats[2], 10.0);
  EXPECT_TRUE(std::isnan(x.floats[3]));
  EXPECT_EQ(x.floats[4], 10.0);
  EXPECT_EQ(x.floats[5], 0.0);
  EXPECT_FALSE(x.is_valid(6));
}

TEST(Clip, OneSidedBoundLeavesTheOtherSideOpen) {
  Table t = MakeTable({FloatColumn("x", {-kInf, -3, 7, kInf})});
  ASSERT_TRUE(FitApply("{ op: clip, columns: x, max: 5 }", t).ok());
  EXPECT_EQ(t.columns[0].floats, (std::vector<double>{-kInf, -3, 5, 5}));
}

TEST(Clip, IntColumnStaysIntWithIntegerBoundsAndBecomesFloatOtherwise) {
  Table t = MakeTable({IntColumn("a", {-4, 3, 12, kNone}), IntColumn("b", {-4, 3, 12, kNone})});
  ASSERT_TRUE(FitApply("{ op: clip, columns: a, min: 0, max: 10 }", t).ok());
  ASSERT_TRUE(FitApply("{ op: clip, columns: b, min: 0.5 }", t).ok());
  ASSERT_EQ(t.columns[0].type, ColumnType::kInt);
  EXPECT_EQ(t.columns[0].ints, (std::vector<int64_t>{0, 3, 10, 0}));  // missing slot stays 0
  EXPECT_FALSE(t.columns[0].is_valid(3));
  ASSERT_EQ(t.columns[1].type, ColumnType::kFloat);
  EXPECT_EQ(t.columns[1].floats[0], 0.5);
  EXPECT_EQ(t.columns[1].floats[2], 12.0);
  EXPECT_FALSE(t.columns[1].is_valid(3));
}

TEST(Clip, EmptyAndAllMissingColumnsPassThrough) {
  Table empty = MakeTable({FloatColumn("x", {})});
  ASSERT_TRUE(FitApply("{ op: clip, columns: x, min: 0 }", empty).ok());
  Table missing = MakeTable({FloatColumn("x", {kNone, kNone})});
  ASSERT_TRUE(FitApply("{ op: clip, columns: x, min: 0 }", missing).ok());
  EXPECT_EQ(missing.columns[0].CountMissing(), 2u);
}

TEST(Clip, BadSpecsAndColumnTypesAreErrors) {
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: clip, columns: x }"), {"min, max or both"}));
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: clip, columns: x, min: 3, max: 1 }"),
                        {"min (3) is above max (1)"}));
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: clip, columns: x, min: low }"), {"min"}));
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: clip, min: 0 }"), {"columns"}));
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: clip, columns: x, min: .inf }"), {"min"}));
  Table t = MakeTable({StringColumn("s", {"1"}), BoolColumn("b", {true})});
  EXPECT_TRUE(FailsWith(FitApply("{ op: clip, columns: s, min: 0 }", t), {"'s' is string"}));
  EXPECT_TRUE(FailsWith(FitApply("{ op: clip, columns: b, max: 0 }", t), {"'b' is bool"}));
  EXPECT_TRUE(FailsWith(FitApply("{ op: clip, columns: nope, max: 0 }", t), {"'nope'"}));
}

TEST(Winsorize, LearnsQuantileBoundsOnTrainingRowsAndClipsHeldOutRowsToThem) {
  Table t = MakeTable({FloatColumn("x", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100, -50})});
  std::vector<size_t> train = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  ASSERT_TRUE(FitApply("{ op: winsorize, columns: x, lower: 0.1, upper: 0.9 }", t, train).ok());
  // numpy.quantile(1..10, [.1, .9]) = 1.9, 9.1.
  const Column& x = t.columns[0];
  EXPECT_NEAR(x.floats[0], 1.9, 1e-12);
  EXPECT_EQ(x.floats[4], 5.0);
  EXPECT_NEAR(x.floats[9], 9.1, 1e-12);
  EXPECT_NEAR(x.floats[10], 9.1, 1e-12);  // held out
  EXPECT_NEAR(x.floats[11], 1.9, 1e-12);
}

TEST(Winsorize, IntColumnStaysIntWhenTheQuantilesAreIntegers) {
  Table t = MakeTable({IntColumn("n", {0, 10, 20, 30, 40})});
  ASSERT_TRUE(FitApply("{ op: winsorize, columns: n, lower: 0.25, upper: 0.75 }", t).ok());
  ASSERT_EQ(t.columns[0].type, ColumnType::kInt);
  EXPECT_EQ(t.columns[0].ints, (std::vector<int64_t>{10, 10, 20, 30, 30}));

  Table frac = MakeTable({IntColumn("n", {0, 1})});
  ASSERT_TRUE(FitApply("{ op: winsorize, columns: n, lower: 0.25, upper: 0.5 }", frac).ok());
  ASSERT_EQ(frac.columns[0].type, ColumnType::kFloat);
  EXPECT_EQ(frac.columns[0].floats, (std::vector<double>{0.25, 0.5}));
}

TEST(Winsorize, InfinityBeyondTheQuantilesIsClippedButAnInfiniteQuantileIsAnError) {
  Table t = MakeTable({FloatColumn("x", {1, 2, 3, 4, kInf, kNaN})});
  ASSERT_TRUE(FitApply("{ op: winsorize, columns: x, lower: 0, upper: 0.75 }", t).ok());
  EXPECT_EQ(t.columns[0].floats[4], 4.0);  // NaN left out: quantiles of 1, 2, 3, 4, inf
  EXPECT_TRUE(std::isnan(t.columns[0].floats[5]));

  Table heavy = MakeTable({FloatColumn("debt", {1, kInf})});
  EXPECT_TRUE(FailsWith(FitApply("{ op: winsorize, columns: debt }", heavy),
                        {"'debt'", "infinite", "0.01"}));
}

TEST(Winsorize, NoTrainingValueIsAnErrorNamingTheColumn) {
  Table empty = MakeTable({FloatColumn("x", {})});
  EXPECT_TRUE(FailsWith(FitApply("{ op: winsorize, columns: x }", empty),
                        {"'x'", "no present value on the 0 training rows"}));
  Table missing = MakeTable({FloatColumn("x", {kNone, kNaN, 4})});
  EXPECT_TRUE(
      FailsWith(FitApply("{ op: winsorize, columns: x }", missing, std::vector<size_t>{0, 1}),
                {"'x'", "no present value on the 2 training rows"}));
}

TEST(Winsorize, SingleRowClipsEverythingToItsValue) {
  Table train = MakeTable({FloatColumn("x", {3})});
  auto reloaded = numeric_test::FitAndReload("{ op: winsorize, columns: x }", train);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  Table serving = MakeTable({FloatColumn("x", {-1, 8})});
  ASSERT_TRUE((*reloaded)->Apply(serving).ok());
  EXPECT_EQ(serving.columns[0].floats, (std::vector<double>{3, 3}));
}

TEST(Winsorize, ServingColumnOfAnotherTypeIsRefused) {
  auto reloaded = numeric_test::FitAndReload("{ op: winsorize, columns: x }",
                                             MakeTable({FloatColumn("x", {1, 2})}));
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  Table serving = MakeTable({StringColumn("x", {"1"})});
  EXPECT_TRUE(FailsWith((*reloaded)->Apply(serving), {"'x' is string here", "int or float"}));
}

TEST(Winsorize, BadSpecsAndTamperedBoundsAreErrors) {
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: winsorize, columns: x, lower: 0.9, upper: 0.1 }"),
                        {"lower"}));
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: winsorize, columns: x, upper: 99 }"),
                        {"upper", "[0, 1]"}));
  Json stored = {{"op", "winsorize"},
                 {"columns", "x"},
                 {"lower", 0.01},
                 {"upper", 0.99},
                 {"fitted", {{"columns", {"x"}}, {"min", {5.0}}, {"max", {1.0}}}}};
  EXPECT_TRUE(FailsWith(LoadFittedTransform(stored, {}, "schema.json"), {"min <= max"}));
}

}  // namespace
}  // namespace citadel::data
