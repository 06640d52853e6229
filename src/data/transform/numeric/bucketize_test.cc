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

TEST(Bucketize, FixedBoundariesAreRightOpenLikeNumpyDigitize) {
  Table t = MakeTable({FloatColumn("x", {-5, 0, 9.99, 10, 25, -kInf, kInf, kNaN, kNone})});
  ASSERT_TRUE(FitApply("{ op: bucketize, columns: x, boundaries: [0, 10, 20] }", t).ok());
  const Column& x = t.columns[0];
  ASSERT_EQ(x.type, ColumnType::kInt);
  EXPECT_EQ(x.ints, (std::vector<int64_t>{0, 1, 1, 2, 3, 0, 3, 0, 0}));
  EXPECT_EQ(x.valid, (std::vector<uint8_t>{1, 1, 1, 1, 1, 1, 1, 0, 0}));  // NaN → missing
  EXPECT_EQ(x.sources, (std::vector<std::string>{"x"}));
}

TEST(Bucketize, QuantileBoundariesComeFromTheTrainingRowsOnly) {
  Table t = MakeTable({IntColumn("n", {1, 2, 3, 4, 5, 6, 7, 8, 100, -100})});
  std::vector<size_t> train = {0, 1, 2, 3, 4, 5, 6, 7};
  auto tr = testing::Transform("{ op: bucketize, columns: n, quantiles: 4 }");
  ASSERT_TRUE(tr.ok()) << tr.status();
  ASSERT_TRUE((*tr)->Fit(t, train).ok());
  // numpy.quantile(1..8, [.25, .5, .75]) = 2.75, 4.5, 6.25.
  EXPECT_EQ((*tr)->ToJson()["fitted"]["boundaries"], Json::parse("[[2.75, 4.5, 6.25]]"));
  ASSERT_TRUE(testing::FitStoreApply(**tr, t, train).ok());
  EXPECT_EQ(t.columns[0].ints, (std::vector<int64_t>{0, 0, 1, 1, 2, 2, 3, 3, 3, 0}));
}

TEST(Bucketize, DuplicateQuantilesAreMerged) {
  Table t = MakeTable({FloatColumn("x", {1, 1, 1, 1, 2, 0})});
  auto tr = testing::Transform("{ op: bucketize, columns: x, quantiles: 4 }");
  ASSERT_TRUE(tr.ok());
  ASSERT_TRUE(testing::FitStoreApply(**tr, t, std::vector<size_t>{0, 1, 2, 3, 4}).ok());
  EXPECT_EQ((*tr)->ToJson()["fitted"]["boundaries"], Json::parse("[[1.0]]"));
  EXPECT_EQ(t.columns[0].ints, (std::vector<int64_t>{1, 1, 1, 1, 1, 0}));
}

TEST(Bucketize, OutputSuffixKeepsTheInputAndAppendsTheBuckets) {
  Column age = IntColumn("age", {17, 40});
  age.sources = {"birth_date"};
  Table t = MakeTable({age});
  ASSERT_TRUE(
      FitApply("{ op: bucketize, columns: age, boundaries: [18, 65], output: _band }", t).ok());
  ASSERT_EQ(t.num_columns(), 2u);
  EXPECT_EQ(t.columns[0].ints, (std::vector<int64_t>{17, 40}));
  EXPECT_EQ(t.columns[1].name, "age_band");
  EXPECT_EQ(t.columns[1].ints, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(t.columns[1].sources, (std::vector<std::string>{"birth_date"}));
  // Applying again would overwrite age_band: refused.
  EXPECT_TRUE(
      FailsWith(FitApply("{ op: bucketize, columns: age, boundaries: [18], output: _band }", t),
                {"'age_band'", "existing column"}));
}

TEST(Bucketize, QuantilesNeedTrainingValuesButFixedBoundariesDoNot) {
  Table empty = MakeTable({FloatColumn("x", {})});
  EXPECT_TRUE(FailsWith(FitApply("{ op: bucketize, columns: x, quantiles: 3 }", empty),
                        {"'x'", "no present value on the 0 training rows"}));
  ASSERT_TRUE(FitApply("{ op: bucketize, columns: x, boundaries: [1] }", empty).ok());
  Table missing = MakeTable({FloatColumn("x", {kNone, kNaN})});
  EXPECT_TRUE(FailsWith(FitApply("{ op: bucketize, columns: x, quantiles: 3 }", missing),
                        {"'x'", "no present value"}));
  ASSERT_TRUE(FitApply("{ op: bucketize, columns: x, boundaries: [1] }", missing).ok());
  EXPECT_EQ(missing.columns[0].CountMissing(), 2u);
}

TEST(Bucketize, SingleRowAndInfiniteQuantiles) {
  Table single = MakeTable({FloatColumn("x", {5})});
  ASSERT_TRUE(FitApply("{ op: bucketize, columns: x, quantiles: 2 }", single).ok());
  EXPECT_EQ(single.columns[0].ints[0], 1);  // boundary [5]; 5 >= 5

  Table inf = MakeTable({FloatColumn("x", {1, kInf, kInf})});
  EXPECT_TRUE(FailsWith(FitApply("{ op: bucketize, columns: x, quantiles: 2 }", inf),
                        {"'x'", "infinite", "fixed boundaries"}));
}

TEST(Bucketize, ServingTableGetsTheTrainingBoundariesAndTypesAreChecked) {
  auto reloaded = numeric_test::FitAndReload("{ op: bucketize, columns: x, quantiles: 2 }",
                                             MakeTable({FloatColumn("x", {0, 10})}));
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  Table serving = MakeTable({FloatColumn("x", {4.99})});
  ASSERT_TRUE((*reloaded)->Apply(serving).ok());
  EXPECT_EQ(serving.columns[0].ints[0], 0);  // boundary 5 from training
  Table wrong = MakeTable({StringColumn("x", {"4"})});
  EXPECT_TRUE(FailsWith((*reloaded)->Apply(wrong), {"'x' is string here"}));
  EXPECT_TRUE(FailsWith(FitApply("{ op: bucketize, columns: x, boundaries: [1] }", wrong),
                        {"'x' is string", "not numeric"}));
}

TEST(Bucketize, BadSpecsAndTamperedBoundariesAreErrors) {
  for (const char* spec : {"{ op: bucketize, columns: x }",
                           "{ op: bucketize, columns: x, boundaries: [1], quantiles: 2 }"}) {
    EXPECT_TRUE(FailsWith(testing::Transform(spec), {"exactly one"})) << spec;
  }
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: bucketize, columns: x, boundaries: [2, 1] }"),
                        {"strictly increasing"}));
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: bucketize, columns: x, boundaries: [1, 1] }"),
                        {"strictly increasing"}));
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: bucketize, columns: x, boundaries: [] }"),
                        {"boundaries"}));
  EXPECT_TRUE(
      FailsWith(testing::Transform("{ op: bucketize, columns: x, quantiles: 1 }"), {"quantiles"}));
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: bucketize, columns: x, quantiles: 2, "
                                           "output: '' }"),
                        {"output"}));
  Json stored = {{"op", "bucketize"},
                 {"columns", "x"},
                 {"quantiles", 2},
                 {"output", "replace"},
                 {"fitted", {{"columns", {"x"}}, {"boundaries", {{3.0, 1.0}}}}}};
  EXPECT_TRUE(FailsWith(LoadFittedTransform(stored, {}, "schema.json"), {"strictly increasing"}));
  stored["fitted"]["boundaries"] = {{1.0, 3.0}};  // 2 boundaries for 2 quantiles: too many
  EXPECT_TRUE(FailsWith(LoadFittedTransform(stored, {}, "schema.json"), {"'x'"}));
}

}  // namespace
}  // namespace citadel::data
