#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "base/random.h"
#include "data/testing/table_fixtures.h"
#include "data/transform/numeric/numeric_test_support.h"

namespace citadel::data {
namespace {

using numeric_test::FailsWith;
using numeric_test::FitApply;
using testing::FloatColumn;
using testing::IntColumn;
using testing::MakeTable;
using testing::OptDouble;
using testing::StringColumn;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(Standardize, FitsOnTrainingRowsOnlyAndAppliesToAll) {
  Table t = MakeTable({FloatColumn("x", {1, 3, 100})});
  auto tr = testing::Transform("{ op: standardize, columns: x }");
  ASSERT_TRUE(tr.ok()) << tr.status();
  std::vector<size_t> train = {0, 1};
  ASSERT_TRUE(testing::FitStoreApply(**tr, t, train).ok());
  // mean 2, population sd 1 on rows 0 and 1; row 2 (held out) is mapped, not fitted.
  EXPECT_DOUBLE_EQ(t.columns[0].floats[0], -1.0);
  EXPECT_DOUBLE_EQ(t.columns[0].floats[1], 1.0);
  EXPECT_DOUBLE_EQ(t.columns[0].floats[2], 98.0);
}

TEST(Standardize, KeepsMissingCellsMissingAndSkipsThemWhenFitting) {
  Table t = MakeTable({FloatColumn("x", {2, std::nullopt, 4})});
  auto tr = testing::Transform("{ op: standardize }");
  ASSERT_TRUE(tr.ok());
  ASSERT_TRUE(testing::FitStoreApply(**tr, t, testing::AllRows(t)).ok());
  EXPECT_FALSE(t.columns[0].is_valid(1));
  EXPECT_DOUBLE_EQ(t.columns[0].floats[0], -1.0);
}

TEST(Standardize, ConstantAllMissingAndEmptyInputsScaleByOne) {
  Table constant = MakeTable({FloatColumn("x", {5, 5})});
  Table missing = MakeTable({FloatColumn("x", {std::nullopt, std::nullopt})});
  Table empty = MakeTable({FloatColumn("x", {})});
  for (Table* t : {&constant, &missing, &empty}) {
    auto tr = testing::Transform("{ op: standardize, columns: [x] }");
    ASSERT_TRUE(tr.ok());
    ASSERT_TRUE(testing::FitStoreApply(**tr, *t, testing::AllRows(*t)).ok());
  }
  EXPECT_DOUBLE_EQ(constant.columns[0].floats[1], 0.0);
  EXPECT_EQ(missing.columns[0].CountMissing(), 2u);
}

TEST(Standardize, NonFiniteTrainingValueIsAnErrorNamingTheColumn) {
  Table t = MakeTable({FloatColumn("income", {1, std::numeric_limits<double>::infinity()})});
  auto tr = testing::Transform("{ op: standardize, columns: income }");
  ASSERT_TRUE(tr.ok());
  Status s = (*tr)->Fit(t, testing::AllRows(t));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'income'"), std::string::npos) << s;
}

TEST(Standardize, StringColumnAndUnknownColumnAreErrors) {
  Table t = MakeTable({testing::StringColumn("c", {"a"}), FloatColumn("x", {1})});
  auto named = testing::Transform("{ op: standardize, columns: c }");
  ASSERT_TRUE(named.ok());
  EXPECT_NE((*named)->Fit(t, testing::AllRows(t)).message().find("not numeric"), std::string::npos);
  auto unknown = testing::Transform("{ op: standardize, columns: [nope] }");
  ASSERT_TRUE(unknown.ok());
  EXPECT_NE((*unknown)->Fit(t, testing::AllRows(t)).message().find("'nope' not found"),
            std::string::npos);
}

TEST(Standardize, AllNumericSkipsTheLabel) {
  Table t = MakeTable({FloatColumn("x", {1, 3}), FloatColumn("y", {0, 1})}, "y");
  auto tr = testing::Transform("{ op: standardize }");
  ASSERT_TRUE(tr.ok());
  ASSERT_TRUE(testing::FitStoreApply(**tr, t, testing::AllRows(t)).ok());
  EXPECT_DOUBLE_EQ(t.columns[1].floats[1], 1.0);  // label untouched
  EXPECT_DOUBLE_EQ(t.columns[0].floats[1], 1.0);
}

TEST(Standardize, DisregardsNaNWhenFittingAndKeepsIt) {
  Table t = MakeTable({FloatColumn("x", {1, kNaN, 3})});
  ASSERT_TRUE(FitApply("{ op: standardize, columns: x }", t).ok());
  EXPECT_DOUBLE_EQ(t.columns[0].floats[0], -1.0);  // mean 2, sd 1 from 1 and 3 only
  EXPECT_TRUE(std::isnan(t.columns[0].floats[1]));
  EXPECT_DOUBLE_EQ(t.columns[0].floats[2], 1.0);
}

// Welford's update over the values sorted ascending, step by step: the
// definition of standardize's statistic, which fixes its rounding.
std::pair<double, double> AscendingWelford(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double mean = 0, m2 = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    double delta = v[i] - mean;
    mean += delta / static_cast<double>(i + 1);
    m2 += delta * (v[i] - mean);
  }
  return {mean, std::sqrt(m2 / static_cast<double>(v.size()))};
}

TEST(Standardize, MeanAndStdAreWelfordOverAscendingValuesBitForBit) {
  // Columns shaped like the ones a pipeline standardizes: one-hot (mostly
  // zeros), small integers, and wide-ranging floats with -0.0 among them.
  SeededRng rng(17);
  std::vector<OptDouble> onehot, small, wide;
  std::vector<double> onehot_v, small_v, wide_v;
  for (int i = 0; i < 20000; ++i) {
    const uint64_t u = rng.Next();
    onehot.push_back(u % 13 == 0 ? 1.0 : 0.0);
    small.push_back(static_cast<double>(u % 71) + 18);
    const double w = u % 50 == 0 ? -0.0 : (static_cast<double>(u % 1000003) - 4e5) * 1.37e3;
    wide.push_back(w);
    onehot_v.push_back(*onehot.back());
    small_v.push_back(*small.back());
    wide_v.push_back(w);
  }
  Table t = MakeTable(
      {FloatColumn("onehot", onehot), FloatColumn("small", small), FloatColumn("wide", wide)});
  auto tr = testing::Transform("{ op: standardize }");
  ASSERT_TRUE(tr.ok());
  ASSERT_TRUE((*tr)->Fit(t, testing::AllRows(t)).ok());
  const Json fitted = (*tr)->ToJson()["fitted"];
  const std::vector<double>* columns[] = {&onehot_v, &small_v, &wide_v};
  for (size_t c = 0; c < 3; ++c) {
    auto [mean, sd] = AscendingWelford(*columns[c]);
    EXPECT_EQ(fitted["center"][c].get<double>(), mean) << c;
    EXPECT_EQ(fitted["scale"][c].get<double>(), sd) << c;
  }
}

TEST(MinMax, MapsTheTrainingRangeOntoFeatureRangeAndExtrapolatesHeldOutRows) {
  Table t = MakeTable({IntColumn("x", {2, 6, 4, 10, std::nullopt})});
  ASSERT_TRUE(FitApply("{ op: min_max, columns: x, feature_range: [-1, 1] }", t,
                       std::vector<size_t>{0, 1, 2})
                  .ok());
  const Column& x = t.columns[0];
  EXPECT_EQ(x.type, ColumnType::kFloat);
  // min 2, max 6: x' = (x - 2) / 4 * 2 - 1.
  EXPECT_DOUBLE_EQ(x.floats[0], -1.0);
  EXPECT_DOUBLE_EQ(x.floats[1], 1.0);
  EXPECT_DOUBLE_EQ(x.floats[2], 0.0);
  EXPECT_DOUBLE_EQ(x.floats[3], 3.0);  // held out: beyond the training max
  EXPECT_FALSE(x.is_valid(4));
}

TEST(MinMax, ConstantColumnMapsToTheLowerBoundWithRangeOne) {
  Table t = MakeTable({FloatColumn("x", {5, 5, 6})});
  ASSERT_TRUE(
      FitApply("{ op: min_max, columns: x, feature_range: [2, 4] }", t, std::vector<size_t>{0, 1})
          .ok());
  // sklearn: data range 0 → 1, so x' = (x - 5) * (4 - 2) + 2.
  EXPECT_DOUBLE_EQ(t.columns[0].floats[0], 2.0);
  EXPECT_DOUBLE_EQ(t.columns[0].floats[2], 4.0);
}

TEST(MinMax, SingleRowEmptyAndAllMissingInputs) {
  Table single = MakeTable({FloatColumn("x", {7})});
  ASSERT_TRUE(FitApply("{ op: min_max }", single).ok());
  EXPECT_DOUBLE_EQ(single.columns[0].floats[0], 0.0);

  Table empty = MakeTable({FloatColumn("x", {})});
  ASSERT_TRUE(FitApply("{ op: min_max, columns: x }", empty).ok());
  EXPECT_EQ(empty.columns[0].size(), 0u);

  // Nothing to learn from (no training rows): values pass through unscaled.
  Table untrained = MakeTable({FloatColumn("x", {3, std::nullopt})});
  ASSERT_TRUE(FitApply("{ op: min_max, columns: x, feature_range: [1, 2] }", untrained,
                       std::vector<size_t>{})
                  .ok());
  EXPECT_DOUBLE_EQ(untrained.columns[0].floats[0], 3.0);
  EXPECT_FALSE(untrained.columns[0].is_valid(1));
}

TEST(MinMax, InfinityOnTrainingRowsIsAnErrorButNaNIsSkipped) {
  Table inf = MakeTable({FloatColumn("amount", {1, -kInf, 3})});
  EXPECT_TRUE(FailsWith(FitApply("{ op: min_max, columns: amount }", inf),
                        {"min_max", "'amount'", "non-finite"}));
  Table nan = MakeTable({FloatColumn("x", {1, kNaN, 3})});
  ASSERT_TRUE(FitApply("{ op: min_max, columns: x }", nan).ok());
  EXPECT_DOUBLE_EQ(nan.columns[0].floats[2], 1.0);
  EXPECT_TRUE(std::isnan(nan.columns[0].floats[1]));
}

TEST(MinMax, HeldOutInfinityStaysInfinite) {
  Table t = MakeTable({FloatColumn("x", {0, 2, kInf, -kInf})});
  ASSERT_TRUE(FitApply("{ op: min_max, columns: x }", t, std::vector<size_t>{0, 1}).ok());
  EXPECT_EQ(t.columns[0].floats[2], kInf);
  EXPECT_EQ(t.columns[0].floats[3], -kInf);
}

TEST(MinMax, BadFeatureRangesAreSpecErrors) {
  for (const char* spec :
       {"{ op: min_max, feature_range: [1, 0] }", "{ op: min_max, feature_range: [1, 1] }",
        "{ op: min_max, feature_range: [0] }", "{ op: min_max, feature_range: [0, x] }",
        "{ op: min_max, feature_range: [0, .inf] }", "{ op: min_max, feature_range: 1 }"}) {
    EXPECT_TRUE(FailsWith(testing::Transform(spec), {"feature_range"})) << spec;
  }
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: min_max, range: [0, 1] }"), {"unknown field"}));
}

TEST(Robust, CentersOnTheTrainingMedianAndScalesByTheInterquartileRange) {
  Table t = MakeTable({FloatColumn("x", {1, 2, 3, 4, 100, 7})});
  ASSERT_TRUE(FitApply("{ op: robust, columns: [x] }", t, std::vector<size_t>{0, 1, 2, 3, 4}).ok());
  // median 3; q25 at position 1 → 2, q75 at position 3 → 4: IQR 2.
  EXPECT_DOUBLE_EQ(t.columns[0].floats[0], -1.0);
  EXPECT_DOUBLE_EQ(t.columns[0].floats[4], 48.5);
  EXPECT_DOUBLE_EQ(t.columns[0].floats[5], 2.0);  // held out
}

TEST(Robust, InterpolatesQuantilesLikeNumpy) {
  Table t = MakeTable({FloatColumn("x", {1, 2, 3, 4})});
  ASSERT_TRUE(FitApply("{ op: robust, columns: x, quantile_range: [10, 90] }", t).ok());
  // numpy.quantile([1,2,3,4], [.1, .5, .9]) = 1.3, 2.5, 3.7 → (4 - 2.5) / 2.4.
  EXPECT_NEAR(t.columns[0].floats[3], 0.625, 1e-12);
  EXPECT_NEAR(t.columns[0].floats[0], -0.625, 1e-12);
}

TEST(Robust, ZeroIqrScalesByOneAndInfinityBeyondTheQuartilesIsHarmless) {
  Table t = MakeTable({FloatColumn("x", {5, 5, 5, 5, 9})});
  ASSERT_TRUE(FitApply("{ op: robust, columns: x }", t).ok());
  EXPECT_DOUBLE_EQ(t.columns[0].floats[4], 4.0);

  Table inf = MakeTable({FloatColumn("x", {1, 2, 3, 4, kInf})});
  ASSERT_TRUE(FitApply("{ op: robust, columns: x }", inf).ok());
  EXPECT_DOUBLE_EQ(inf.columns[0].floats[3], 0.5);  // median 3, IQR 4 - 2
  EXPECT_EQ(inf.columns[0].floats[4], kInf);

  Table mostly_inf = MakeTable({FloatColumn("x", {1, kInf, kInf})});
  EXPECT_TRUE(FailsWith(FitApply("{ op: robust, columns: x }", mostly_inf), {"'x'"}));
}

TEST(Robust, BadQuantileRangeIsASpecError) {
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: robust, quantile_range: [75, 25] }"),
                        {"quantile_range"}));
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: robust, quantile_range: [0, 101] }"),
                        {"quantile_range", "percentiles"}));
}

TEST(Scalers, ServingTableWithAnotherTypeIsRefusedNamingColumnAndTypes) {
  Table train = MakeTable({FloatColumn("x", {1, 2, 3})});
  for (const char* spec : {"{ op: standardize, columns: x }", "{ op: min_max, columns: x }",
                           "{ op: robust, columns: x }"}) {
    auto reloaded = numeric_test::FitAndReload(spec, train);
    ASSERT_TRUE(reloaded.ok()) << reloaded.status();
    Table serving = MakeTable({StringColumn("x", {"2"})});
    EXPECT_TRUE(FailsWith((*reloaded)->Apply(serving), {"'x'", "is string here", "numeric"}))
        << spec;
    Table good = MakeTable({IntColumn("x", {3})});  // one-row serving table
    ASSERT_TRUE((*reloaded)->Apply(good).ok());
  }
}

TEST(TransformRegistry, RowOpsPointToCleanAndUnknownOpsListTheKnownOnes) {
  auto row = testing::Transform("{ op: drop_duplicates }");
  ASSERT_FALSE(row.ok());
  EXPECT_NE(row.status().message().find("clean:"), std::string::npos);
  auto unknown = testing::Transform("{ op: frobnicate }");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("standardize"), std::string::npos);
}

TEST(TransformRegistry, TamperedFittedParametersAreRefused) {
  for (double scale : {0.0, -1.0}) {
    Json stored = {{"op", "standardize"},
                   {"columns", "x"},
                   {"fitted", {{"columns", {"x"}}, {"center", {0.0}}, {"scale", {scale}}}}};
    auto t = LoadFittedTransform(stored, {}, "schema.json");
    EXPECT_TRUE(FailsWith(t, {"schema.json", "'x'"}));
  }
  Json short_center = {{"op", "robust"},
                       {"columns", "x"},
                       {"fitted", {{"columns", {"x"}}, {"center", Json::array()}, {"scale", {1}}}}};
  EXPECT_TRUE(FailsWith(LoadFittedTransform(short_center, {}, "schema.json"), {"one value"}));
  Json missing = {{"op", "min_max"}, {"columns", "x"}, {"fitted", {{"columns", {"x"}}}}};
  EXPECT_TRUE(FailsWith(LoadFittedTransform(missing, {}, "schema.json"), {"\"center\""}));
}

}  // namespace
}  // namespace citadel::data
