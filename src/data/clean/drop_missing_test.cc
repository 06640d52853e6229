#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "data/clean/row_op_testing.h"
#include "data/testing/table_fixtures.h"

namespace citadel::data {
namespace {

using testing::FloatColumn;
using testing::IntColumn;
using testing::MakeTable;
using testing::RunRowOp;
using testing::StringColumn;

TEST(DropMissing, DropsRowsWithAMissingCellInAnyColumnByDefault) {
  Table t = MakeTable(
      {IntColumn("a", {1, std::nullopt, 3, 4}), StringColumn("s", {"x", "y", std::nullopt, "z"})});
  Result<size_t> removed = RunRowOp("{ op: drop_missing }", t);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 2u);
  EXPECT_EQ(t.columns[0].ints, (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(t.columns[1].strings, (std::vector<std::string>{"x", "z"}));
  EXPECT_EQ(t.row_ids, (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(t.lines, (std::vector<int64_t>{2, 5}));
}

TEST(DropMissing, HowAllDropsOnlyRowsMissingEveryNamedColumn) {
  Table t = MakeTable({IntColumn("a", {1, std::nullopt, std::nullopt}),
                       IntColumn("b", {std::nullopt, std::nullopt, 3}),
                       IntColumn("c", {std::nullopt, std::nullopt, std::nullopt})});
  Result<size_t> removed = RunRowOp("{ op: drop_missing, columns: [a, b], how: all }", t);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 1u);
  EXPECT_EQ(t.row_ids, (std::vector<int64_t>{0, 2}));
}

TEST(DropMissing, OnlyTheNamedColumnsCount) {
  Table t = MakeTable({IntColumn("a", {1, std::nullopt, 3}), IntColumn("b", {std::nullopt, 2, 3})});
  Result<size_t> removed = RunRowOp("{ op: drop_missing, columns: a }", t);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 1u);
  EXPECT_EQ(t.row_ids, (std::vector<int64_t>{0, 2}));
}

TEST(DropMissing, NanAndInfinityAreValuesNotMissing) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  Table t = MakeTable({FloatColumn("x", {nan, std::nullopt, inf})});
  Result<size_t> removed = RunRowOp("{ op: drop_missing }", t);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1u);
  ASSERT_EQ(t.num_rows(), 2u);
  EXPECT_TRUE(std::isnan(t.columns[0].floats[0]));
  EXPECT_EQ(t.columns[0].floats[1], inf);
}

TEST(DropMissing, AnAllMissingColumnDropsEveryRow) {
  Table t = MakeTable({FloatColumn("x", {std::nullopt, std::nullopt}), IntColumn("y", {1, 2})});
  Result<size_t> removed = RunRowOp("{ op: drop_missing }", t);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 2u);
  EXPECT_EQ(t.num_rows(), 0u);
  EXPECT_EQ(t.num_columns(), 2u);
  EXPECT_EQ(t.columns[1].size(), 0u);
  EXPECT_TRUE(t.lines.empty());
}

TEST(DropMissing, EmptyTableAndTableWithoutColumns) {
  Table empty = MakeTable({IntColumn("a", {})});
  Result<size_t> removed = RunRowOp("{ op: drop_missing, how: all }", empty);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 0u);
  Table none = MakeTable({});
  removed = RunRowOp("{ op: drop_missing }", none);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 0u);
}

TEST(DropMissing, TheLabelMayBeNamedToDropUnlabelledRows) {
  Table t = MakeTable({IntColumn("x", {1, 2}), StringColumn("y", {"a", std::nullopt})}, "y");
  Result<size_t> removed = RunRowOp("{ op: drop_missing, columns: [y] }", t);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 1u);
}

TEST(DropMissing, UnknownColumnIsAnErrorAndLeavesTheTableAlone) {
  Table t = MakeTable({IntColumn("a", {std::nullopt})});
  Result<size_t> removed = RunRowOp("{ op: drop_missing, columns: [a, nope] }", t);
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.status().message(),
            "spec.yaml:1: (top level) (drop_missing): column 'nope' not found; the columns at "
            "this point are 'a'");
  EXPECT_EQ(t.num_rows(), 1u);
}

TEST(DropMissing, ATableWithAShortColumnIsAnInternalErrorNotACrash) {
  Table t = MakeTable({IntColumn("a", {1, 2, 3}), IntColumn("b", {1, 2})});
  Result<size_t> removed = RunRowOp("{ op: drop_missing }", t);
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.status().code(), StatusCode::kInternal);
  EXPECT_EQ(removed.status().message(), "column 'b' holds 2 cells for 3 rows");
}

TEST(DropMissing, BadSpecFieldsAreErrors) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"{ op: drop_missing, how: some }", "how: expected any (a row with any missing cell"},
      {"{ op: drop_missing, columns: [] }", "columns: expected at least one column name"},
      {"{ op: drop_missing, columns: 5 }", "columns: expected a list of strings"},
      {"{ op: drop_missing, columns: [a, 1] }", "columns: expected strings"},
      {"{ op: drop_missing, column: a }", "unknown field 'column'"},
  };
  for (const auto& [yaml, says] : cases) {
    auto op = testing::RowOp(yaml);
    ASSERT_FALSE(op.ok()) << yaml;
    EXPECT_NE(op.status().message().find(says), std::string::npos) << op.status();
  }
}

TEST(DropMissing, ToJsonIsTheNormalisedSpecEntry) {
  auto op = testing::RowOp("{ op: drop_missing, columns: [a, b], how: all }");
  ASSERT_TRUE(op.ok());
  EXPECT_EQ((*op)->op(), "drop_missing");
  EXPECT_EQ((*op)->ToJson(), Json::parse(R"({"op": "drop_missing", "columns": ["a", "b"],
                                             "how": "all"})"));
  auto plain = testing::RowOp("{ op: drop_missing }");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ((*plain)->ToJson(), Json::parse(R"({"op": "drop_missing", "how": "any"})"));
}

}  // namespace
}  // namespace citadel::data
