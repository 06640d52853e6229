#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "data/testing/table_fixtures.h"
#include "data/transform/numeric/numeric_test_support.h"

namespace citadel::data {
namespace {

using numeric_test::BoolColumn;
using numeric_test::FailsWith;
using numeric_test::FitApply;
using numeric_test::TimestampColumn;
using testing::FloatColumn;
using testing::IntColumn;
using testing::MakeTable;
using testing::StringColumn;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr auto kNone = std::nullopt;

TEST(Impute, MeanIsLearnedOnTrainingRowsOnlyAndFillsHeldOutGapsToo) {
  Table t = MakeTable({FloatColumn("x", {1, kNone, 3, kNone, 100})});
  ASSERT_TRUE(
      FitApply("{ op: impute, columns: x, strategy: mean }", t, std::vector<size_t>{0, 1, 2}).ok());
  const Column& x = t.columns[0];
  EXPECT_EQ(x.CountMissing(), 0u);
  EXPECT_DOUBLE_EQ(x.floats[1], 2.0);  // (1 + 3) / 2; row 4's 100 is held out
  EXPECT_DOUBLE_EQ(x.floats[3], 2.0);
  EXPECT_DOUBLE_EQ(x.floats[4], 100.0);
}

TEST(Impute, MedianOfAnIntColumnWithAnIntegralResultKeepsTheColumnInt) {
  Table t = MakeTable({IntColumn("n", {5, 1, 3, kNone, 10})});
  ASSERT_TRUE(
      FitApply("{ op: impute, columns: n, strategy: median }", t, std::vector<size_t>{0, 1, 2, 3})
          .ok());
  EXPECT_EQ(t.columns[0].type, ColumnType::kInt);
  EXPECT_EQ(t.columns[0].ints[3], 3);
  EXPECT_EQ(t.columns[0].ints[4], 10);
}

TEST(Impute, IntColumnWithAFractionalFillBecomesFloat) {
  Table t = MakeTable({IntColumn("n", {1, 2, kNone})});
  ASSERT_TRUE(FitApply("{ op: impute, columns: n, strategy: median }", t).ok());
  const Column& n = t.columns[0];
  ASSERT_EQ(n.type, ColumnType::kFloat);
  EXPECT_TRUE(n.ints.empty());
  EXPECT_EQ(n.floats, (std::vector<double>{1.0, 2.0, 1.5}));

  // The type change holds even where the applied table has no gap.
  auto reloaded = numeric_test::FitAndReload("{ op: impute, columns: n, strategy: mean }",
                                             MakeTable({IntColumn("n", {1, 2})}));
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  Table serving = MakeTable({IntColumn("n", {7})});
  ASSERT_TRUE((*reloaded)->Apply(serving).ok());
  EXPECT_EQ(serving.columns[0].type, ColumnType::kFloat);
  EXPECT_DOUBLE_EQ(serving.columns[0].floats[0], 7.0);
}

TEST(Impute, IntMeanIsExactForLargeValues) {
  const int64_t big = (int64_t{1} << 60) + 1;  // not representable as a double
  for (const char* strategy : {"mean", "median", "mode"}) {
    Table t = MakeTable({IntColumn("id", {big - 2, big + 2, kNone})});
    if (std::string_view(strategy) == "mode") t.columns[0].ints[1] = big - 2;
    ASSERT_TRUE(
        FitApply(fmt::format("{{ op: impute, columns: id, strategy: {} }}", strategy), t).ok());
    ASSERT_EQ(t.columns[0].type, ColumnType::kInt) << strategy;
    EXPECT_EQ(t.columns[0].ints[2], std::string_view(strategy) == "mode" ? big - 2 : big)
        << strategy;
  }
}

TEST(Impute, ModeBreaksTiesTowardsTheSmallestValue) {
  Table t = MakeTable({StringColumn("city", {"b", "a", "b", "a", kNone, "c"}),
                       IntColumn("n", {3, 1, 3, 1, kNone, 2}),
                       BoolColumn("flag", {true, false, kNone, true, false, kNone}),
                       FloatColumn("f", {2.5, kNaN, kNaN, kNaN, kNone, 2.5})});
  ASSERT_TRUE(FitApply("{ op: impute, columns: [city, n, flag, f], strategy: mode }", t).ok());
  EXPECT_EQ(t.columns[0].strings[4], "a");  // "a" and "b" twice each
  EXPECT_EQ(t.columns[1].ints[4], 1);
  EXPECT_EQ(t.columns[2].type, ColumnType::kBool);
  EXPECT_EQ(t.columns[2].ints[2], 0);  // two true, two false → false
  // NaN is missing, not the most frequent value: 2.5 fills rows 1 to 4.
  EXPECT_EQ(t.columns[3].floats, (std::vector<double>{2.5, 2.5, 2.5, 2.5, 2.5, 2.5}));
}

TEST(Impute, ModeOfTimestampsIsTheMostFrequentInstant) {
  Table t = MakeTable({TimestampColumn("at", {5, 9, 9, kNone, 1})});
  ASSERT_TRUE(FitApply("{ op: impute, columns: at, strategy: mode }", t).ok());
  EXPECT_EQ(t.columns[0].type, ColumnType::kTimestamp);
  EXPECT_EQ(t.columns[0].ints[3], 9);
}

TEST(Impute, ConstantFillsEveryTypeWithTheSpecValue) {
  Table t = MakeTable({StringColumn("s", {kNone, "x"}), IntColumn("i", {kNone, 4}),
                       FloatColumn("f", {kNaN, 1}), BoolColumn("b", {kNone, false}),
                       TimestampColumn("at", {kNone, 0})});
  ASSERT_TRUE(FitApply("{ op: impute, columns: s, strategy: constant, value: 'n/a' }", t).ok());
  ASSERT_TRUE(FitApply("{ op: impute, columns: [i, f], strategy: constant, value: -1 }", t).ok());
  ASSERT_TRUE(FitApply("{ op: impute, columns: b, strategy: constant, value: true }", t).ok());
  ASSERT_TRUE(
      FitApply("{ op: impute, columns: at, strategy: constant, value: '2024-01-01' }", t).ok());
  EXPECT_EQ(t.columns[0].strings[0], "n/a");
  EXPECT_EQ(t.columns[1].type, ColumnType::kInt);
  EXPECT_EQ(t.columns[1].ints[0], -1);
  EXPECT_DOUBLE_EQ(t.columns[2].floats[0], -1.0);
  EXPECT_EQ(t.columns[3].ints[0], 1);
  EXPECT_EQ(t.columns[4].ints[0], int64_t{1'704'067'200'000'000});  // 19723 days × 86400 s
  for (const Column& c : t.columns) EXPECT_EQ(c.CountMissing(), 0u) << c.name;
}

TEST(Impute, ConstantWorksOnAnEmptyTableWhereLearnedStrategiesCannot) {
  Table empty = MakeTable({FloatColumn("x", {})});
  ASSERT_TRUE(FitApply("{ op: impute, columns: x, strategy: constant, value: 0 }", empty).ok());
  EXPECT_TRUE(FailsWith(
      FitApply("{ op: impute, columns: x, strategy: mean }", empty),
      {"'x'", "no present value on the 0 training rows", "strategy: constant", "drop the column"}));
}

TEST(Impute, ConstantFractionOnAnIntColumnMakesItFloat) {
  Table t = MakeTable({IntColumn("i", {kNone, 2})});
  ASSERT_TRUE(FitApply("{ op: impute, columns: i, strategy: constant, value: 0.5 }", t).ok());
  ASSERT_EQ(t.columns[0].type, ColumnType::kFloat);
  EXPECT_EQ(t.columns[0].floats, (std::vector<double>{0.5, 2.0}));
}

TEST(Impute, ConstantOfTheWrongTypeIsAnErrorNamingColumnAndType) {
  Table t = MakeTable({StringColumn("s", {kNone}), FloatColumn("f", {kNone}),
                       BoolColumn("b", {kNone}), TimestampColumn("at", {kNone})});
  EXPECT_TRUE(FailsWith(FitApply("{ op: impute, columns: s, strategy: constant, value: 0 }", t),
                        {"string column 's'", "quote it"}));
  EXPECT_TRUE(FailsWith(FitApply("{ op: impute, columns: f, strategy: constant, value: x }", t),
                        {"float column 'f'", "a number"}));
  EXPECT_TRUE(FailsWith(FitApply("{ op: impute, columns: b, strategy: constant, value: 1 }", t),
                        {"bool column 'b'", "true or false"}));
  EXPECT_TRUE(
      FailsWith(FitApply("{ op: impute, columns: at, strategy: constant, value: 'soon' }", t),
                {"timestamp column 'at'", "ISO 8601"}));
}

TEST(Impute, NaNCountsAsMissingInFloatColumns) {
  Table t = MakeTable({FloatColumn("x", {1, kNaN, 3, kNone})});
  ASSERT_TRUE(FitApply("{ op: impute, columns: x, strategy: mean, add_indicator: true }", t).ok());
  ASSERT_EQ(t.num_columns(), 2u);
  EXPECT_EQ(t.columns[0].floats, (std::vector<double>{1, 2, 3, 2}));
  EXPECT_EQ(t.columns[1].ints, (std::vector<int64_t>{0, 1, 0, 1}));
}

TEST(Impute, IndicatorIsABoolColumnWithTheSourcesOfItsColumn) {
  Column city = StringColumn("city", {"a", kNone});
  city.sources = {"address", "zip"};
  Table t = MakeTable({city, IntColumn("n", {1, 2})});
  ASSERT_TRUE(
      FitApply("{ op: impute, columns: [city, n], strategy: mode, add_indicator: true }", t).ok());
  ASSERT_EQ(t.num_columns(), 4u);
  const Column& ind = t.columns[2];
  EXPECT_EQ(ind.name, "city_missing");
  EXPECT_EQ(ind.type, ColumnType::kBool);
  EXPECT_EQ(ind.sources, (std::vector<std::string>{"address", "zip"}));
  EXPECT_EQ(ind.ints, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(t.columns[3].name, "n_missing");  // added even with no gap: a fixed schema
  EXPECT_EQ(t.columns[3].ints, (std::vector<int64_t>{0, 0}));
}

TEST(Impute, IndicatorNameClashIsAnErrorAndLeavesTheTableAsItWas) {
  Table t = MakeTable({FloatColumn("x", {kNone, 1}), BoolColumn("x_missing", {true, false})});
  EXPECT_TRUE(
      FailsWith(FitApply("{ op: impute, columns: x, strategy: mean, add_indicator: true }", t),
                {"'x_missing'", "add_indicator: false"}));
  EXPECT_FALSE(t.columns[0].is_valid(0));
}

TEST(Impute, AllMissingTrainingColumnIsAnErrorForLearnedStrategies) {
  for (const char* strategy : {"mean", "median", "mode"}) {
    Table t = MakeTable({FloatColumn("income", {kNone, kNaN, 5})});
    std::string spec = fmt::format("{{ op: impute, columns: income, strategy: {} }}", strategy);
    EXPECT_TRUE(FailsWith(FitApply(spec, t, std::vector<size_t>{0, 1}),
                          {"'income'", "no present value", "strategy: constant"}))
        << strategy;
  }
}

TEST(Impute, SingleRow) {
  Table t = MakeTable({FloatColumn("x", {4})});
  ASSERT_TRUE(FitApply("{ op: impute, columns: x, strategy: median }", t).ok());
  Table serving = MakeTable({FloatColumn("x", {kNone})});
  auto reloaded = numeric_test::FitAndReload("{ op: impute, columns: x, strategy: median }", t);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  ASSERT_TRUE((*reloaded)->Apply(serving).ok());
  EXPECT_DOUBLE_EQ(serving.columns[0].floats[0], 4.0);
}

TEST(Impute, InfiniteMeanIsAnErrorButMedianPastAnInfinityIsFine) {
  Table t = MakeTable({FloatColumn("x", {1, 2, kInf, kNone})});
  EXPECT_TRUE(FailsWith(FitApply("{ op: impute, columns: x, strategy: mean }", t),
                        {"mean", "'x'", "not finite"}));
  ASSERT_TRUE(FitApply("{ op: impute, columns: x, strategy: median }", t).ok());
  EXPECT_DOUBLE_EQ(t.columns[0].floats[3], 2.0);
  EXPECT_EQ(t.columns[0].floats[2], kInf);  // a value, not a gap
}

TEST(Impute, VeryLongStringsAreHandledAndAnOverlongFillIsRefused) {
  const std::string long_text(1 << 20, 'q');
  Table ok = MakeTable({StringColumn("note", {long_text, "short", "short", kNone})});
  ASSERT_TRUE(FitApply("{ op: impute, columns: note, strategy: mode }", ok).ok());
  EXPECT_EQ(ok.columns[0].strings[3], "short");
  EXPECT_EQ(ok.columns[0].strings[0].size(), long_text.size());

  Table bad = MakeTable({StringColumn("note", {long_text, long_text, "short", kNone})});
  Status s = FitApply("{ op: impute, columns: note, strategy: mode }", bad);
  EXPECT_TRUE(FailsWith(s, {"'note'", "1048576 bytes", "strategy: constant"}));
  EXPECT_LT(s.message().size(), 400u);
}

TEST(Impute, MeanAndMedianNeedNumericColumns) {
  Table t = MakeTable({StringColumn("city", {"a"}), TimestampColumn("at", {1})});
  EXPECT_TRUE(FailsWith(FitApply("{ op: impute, columns: city, strategy: mean }", t),
                        {"'city' is string", "mode or constant"}));
  EXPECT_TRUE(FailsWith(FitApply("{ op: impute, columns: at, strategy: median }", t),
                        {"'at' is timestamp"}));
}

TEST(Impute, BoolMeanThatIsNotZeroOrOneMakesTheColumnFloat) {
  Table t = MakeTable({BoolColumn("b", {true, true, false, true, false, kNone})});
  ASSERT_TRUE(FitApply("{ op: impute, columns: b, strategy: mean }", t).ok());
  ASSERT_EQ(t.columns[0].type, ColumnType::kFloat);
  EXPECT_DOUBLE_EQ(t.columns[0].floats[5], 0.6);
  EXPECT_DOUBLE_EQ(t.columns[0].floats[0], 1.0);
}

TEST(Impute, ServingColumnOfAnotherTypeIsRefusedNamingBothTypes) {
  auto reloaded = numeric_test::FitAndReload("{ op: impute, columns: n, strategy: mode }",
                                             MakeTable({IntColumn("n", {1, 1, 2})}));
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  Table serving = MakeTable({FloatColumn("n", {kNone})});
  EXPECT_TRUE(FailsWith((*reloaded)->Apply(serving),
                        {"'n'", "is float here but was int", "training column types"}));
  Table missing_column = MakeTable({FloatColumn("m", {1})});
  EXPECT_TRUE(FailsWith((*reloaded)->Apply(missing_column), {"'n'"}));
}

TEST(Impute, BadSpecsAreErrorsNamingTheField) {
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: impute, columns: x }"), {"strategy"}));
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: impute, columns: x, strategy: average }"),
                        {"unknown strategy 'average'", "median"}));
  EXPECT_TRUE(
      FailsWith(testing::Transform("{ op: impute, columns: x, strategy: constant }"), {"value"}));
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: impute, columns: x, strategy: mean, value: 0 }"),
                        {"only used with strategy: constant"}));
  EXPECT_TRUE(
      FailsWith(testing::Transform("{ op: impute, columns: x, strategy: constant, value: [1, 2] }"),
                {"value"}));
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: impute, strategy: mean }"), {"columns"}));
  EXPECT_TRUE(FailsWith(
      testing::Transform("{ op: impute, columns: x, strategy: mean, add_indicator: yes please }"),
      {"add_indicator"}));
}

TEST(Impute, TamperedFillsAreRefused) {
  Json stored = {{"op", "impute"},
                 {"columns", "x"},
                 {"strategy", "mode"},
                 {"add_indicator", false},
                 {"fitted", {{"columns", {"x"}}, {"types", {"string"}}, {"fills", {3}}}}};
  EXPECT_TRUE(FailsWith(LoadFittedTransform(stored, {}, "schema.json"),
                        {"schema.json", "cannot fill string column 'x'"}));
  stored["fitted"]["types"] = {"complex"};
  EXPECT_TRUE(FailsWith(LoadFittedTransform(stored, {}, "schema.json"), {"'complex'"}));
  stored["fitted"]["types"] = {"int"};
  stored["fitted"]["fills"] = Json::array();
  EXPECT_TRUE(FailsWith(LoadFittedTransform(stored, {}, "schema.json"), {"one value per column"}));
}

}  // namespace
}  // namespace citadel::data
