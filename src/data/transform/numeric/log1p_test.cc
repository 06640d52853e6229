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

TEST(Log1p, ComputesLogOfOnePlusXKeepingNaNInfinityAndMissing) {
  Table t = MakeTable({FloatColumn("x", {0, -0.5, 1e-20, kNaN, kInf, kNone, 99})});
  ASSERT_TRUE(FitApply("{ op: log1p, columns: x }", t).ok());
  const Column& x = t.columns[0];
  EXPECT_EQ(x.floats[0], 0.0);
  EXPECT_DOUBLE_EQ(x.floats[1], -std::log(2.0));
  EXPECT_DOUBLE_EQ(x.floats[2], 1e-20);  // log(1 + x) ≈ x, kept exactly by log1p
  EXPECT_TRUE(std::isnan(x.floats[3]));
  EXPECT_EQ(x.floats[4], kInf);
  EXPECT_FALSE(x.is_valid(5));
  EXPECT_DOUBLE_EQ(x.floats[6], 2 * std::log(10.0));
}

TEST(Log1p, IntAndBoolColumnsBecomeFloat) {
  Table t = MakeTable({IntColumn("n", {0, 3}), BoolColumn("b", {true, false})});
  ASSERT_TRUE(FitApply("{ op: log1p, columns: [n, b] }", t).ok());
  ASSERT_EQ(t.columns[0].type, ColumnType::kFloat);
  EXPECT_DOUBLE_EQ(t.columns[0].floats[1], std::log(4.0));
  EXPECT_DOUBLE_EQ(t.columns[1].floats[0], std::log(2.0));
  EXPECT_TRUE(t.columns[0].ints.empty());
}

TEST(Log1p, MinusOneAndBelowIsAnErrorNamingRowColumnAndValue) {
  for (double bad : {-1.0, -2.5, -kInf}) {
    Table t = MakeTable({FloatColumn("ok", {1}), FloatColumn("debt", {1})});
    t.columns[1].Append(bad);
    t.columns[0].Append(2.0);
    t.row_ids.push_back(1);
    t.lines.push_back(3);
    Status s = FitApply("{ op: log1p, columns: [ok, debt] }", t);
    EXPECT_TRUE(FailsWith(s, {"t.csv:3: log1p: column 'debt' value", "<= -1", "on_negative: null"}))
        << bad;
    EXPECT_EQ(t.columns[0].floats[1], 2.0) << "the table must be left as it was";
  }
}

TEST(Log1p, OnNegativeNullMakesOutOfDomainCellsMissing) {
  for (const char* spec : {"{ op: log1p, columns: x, on_negative: null }",
                           "{ op: log1p, columns: x, on_negative: 'null' }"}) {
    Table t = MakeTable({FloatColumn("x", {-1, -3, 0, -kInf})});
    ASSERT_TRUE(FitApply(spec, t).ok());
    EXPECT_EQ(t.columns[0].valid, (std::vector<uint8_t>{0, 0, 1, 0}));
    EXPECT_EQ(t.columns[0].floats[2], 0.0);
  }
}

TEST(Log1p, EmptySingleRowAndAllMissingColumns) {
  Table empty = MakeTable({FloatColumn("x", {})});
  ASSERT_TRUE(FitApply("{ op: log1p, columns: x }", empty).ok());
  EXPECT_EQ(empty.columns[0].type, ColumnType::kFloat);
  Table missing = MakeTable({IntColumn("x", {kNone, kNone})});
  ASSERT_TRUE(FitApply("{ op: log1p, columns: x }", missing).ok());
  EXPECT_EQ(missing.columns[0].CountMissing(), 2u);
  Table single = MakeTable({IntColumn("x", {0})});
  ASSERT_TRUE(FitApply("{ op: log1p, columns: x }", single).ok());
  EXPECT_EQ(single.columns[0].floats[0], 0.0);
}

TEST(Log1p, NonNumericColumnsAreRefusedAtFitAndAtApply) {
  Table t = MakeTable({StringColumn("s", {"1"})});
  EXPECT_TRUE(
      FailsWith(FitApply("{ op: log1p, columns: s }", t), {"'s' is string", "not numeric"}));
  auto reloaded =
      numeric_test::FitAndReload("{ op: log1p, columns: s }", MakeTable({FloatColumn("s", {1})}));
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_TRUE(FailsWith((*reloaded)->Apply(t), {"'s' is string here"}));
}

TEST(Log1p, BadSpecsAreErrorsNamingTheField) {
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: log1p }"), {"columns"}));
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: log1p, columns: x, on_negative: clip }"),
                        {"on_negative", "fail or null"}));
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: log1p, columns: x, base: 10 }"),
                        {"unknown field 'base'"}));
}

}  // namespace
}  // namespace citadel::data
