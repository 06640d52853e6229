#include "data/transform/numeric/numeric_ops.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>

#include "data/testing/table_fixtures.h"
#include "data/transform/numeric/numeric_test_support.h"

namespace citadel::data {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(Quantile, MatchesNumpysDefaultLinearMethod) {
  const std::vector<double> v = {1, 2, 3, 4};
  EXPECT_EQ(Quantile(v, 0), 1.0);
  EXPECT_EQ(Quantile(v, 1), 4.0);
  EXPECT_EQ(Quantile(v, 0.5), 2.5);
  EXPECT_EQ(Quantile(v, 0.25), 1.75);  // position 0.75
  EXPECT_EQ(Quantile(v, 0.75), 3.25);  // position 2.25
  EXPECT_EQ(Quantile(std::vector<double>{7}, 0.3), 7.0);
  EXPECT_EQ(Quantile(std::vector<double>{-1, 1}, 0.5), 0.0);
}

TEST(Quantile, StaysOnAnEndpointWhenItIsExactlyThere) {
  // Position 1 exactly: the value there, never inf * 0 = NaN from the neighbour.
  const std::vector<double> v = {0, 5, kInf};
  EXPECT_EQ(Quantile(v, 0.5), 5.0);
  EXPECT_EQ(Quantile(v, 0.25), 2.5);
}

TEST(SortedTrainingValues, LeavesOutMissingNaNAndRowsNotListed) {
  Column c = testing::FloatColumn(
      "x", {3, std::nullopt, std::numeric_limits<double>::quiet_NaN(), -kInf, 1, 100});
  std::vector<size_t> rows = {0, 1, 2, 3, 4};
  EXPECT_EQ(SortedTrainingValues(c, rows), (std::vector<double>{-kInf, 1, 3}));
}

TEST(QuotedValue, ShortensLongTextWithoutSplittingAUtf8Character) {
  EXPECT_EQ(QuotedValue("abc"), "'abc'");
  std::string huge(1 << 20, 'x');
  std::string shown = QuotedValue(huge);
  EXPECT_LT(shown.size(), 70u);
  EXPECT_NE(shown.find("(1048576 bytes)"), std::string::npos);
  // "é" is two bytes; after 36 x's the first one straddles the 37-byte cut.
  std::string accents(36, 'x');
  for (int i = 0; i < 10; ++i) accents += "\xC3\xA9";
  EXPECT_EQ(QuotedValue(accents), "'" + std::string(36, 'x') + "...' (56 bytes)");
}

TEST(NumericOps, EveryOpIsRegisteredOnce) {
  for (std::string_view op : {"bucketize", "cast", "clip", "impute", "log1p", "min_max", "robust",
                              "scale_pixels", "standardize", "winsorize"}) {
    auto n = std::count_if(TransformOps().begin(), TransformOps().end(),
                           [&](const TransformOp& t) { return t.op == op; });
    EXPECT_EQ(n, 1) << op;
  }
}

TEST(NumericOps, FittedTypesMustBeCanonicalNamesOnePerColumn) {
  EXPECT_TRUE(numeric_test::FailsWith(FittedTypes(Json{{"types", {"int"}}}, 2, "cast"),
                                      {"one entry per column"}));
  EXPECT_TRUE(
      numeric_test::FailsWith(FittedTypes(Json{{"types", {"integer"}}}, 1, "cast"), {"'integer'"}));
  auto ok = FittedTypes(Json{{"types", {"timestamp", "bool"}}}, 2, "cast");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, (std::vector<ColumnType>{ColumnType::kTimestamp, ColumnType::kBool}));
}

}  // namespace
}  // namespace citadel::data
