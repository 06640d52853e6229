#include <gtest/gtest.h>

#include <limits>

#include "data/clean/row_op_testing.h"
#include "data/expr/test_columns.h"
#include "data/testing/table_fixtures.h"

namespace citadel::data {
namespace {

using testing::FloatColumn;
using testing::IntColumn;
using testing::MakeTable;
using testing::RunRowOp;
using testing::StringColumn;

TEST(Filter, KeepsRowsWhereTheExpressionIsTrueAndDropsFalseAndMissing) {
  Table t = MakeTable({IntColumn("age", {10, 20, std::nullopt, 40}),
                       StringColumn("country", {"DE", "XX", "DE", "FR"})});
  Result<size_t> removed = RunRowOp("{ op: filter, expr: 'age >= 18 and country != \"XX\"' }", t);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 3u);
  EXPECT_EQ(t.columns[0].ints, (std::vector<int64_t>{40}));
  EXPECT_EQ(t.columns[1].strings, (std::vector<std::string>{"FR"}));
  EXPECT_EQ(t.lines, (std::vector<int64_t>{5}));
  EXPECT_EQ(t.row_ids, (std::vector<int64_t>{3}));
}

TEST(Filter, NanFailsEveryComparison) {
  Table t = MakeTable({FloatColumn("x", {std::numeric_limits<double>::quiet_NaN(), 1, -1})});
  Result<size_t> removed = RunRowOp("{ op: filter, expr: 'x > 0' }", t);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 2u);
  EXPECT_EQ(t.row_ids, (std::vector<int64_t>{1}));
}

TEST(Filter, ComparesTimestampsWithDates) {
  Table t = MakeTable({testing::TimestampColumn(
      "signup", {"2019-05-01", "2020-01-01T00:00:00Z", std::nullopt, "2023-03-03"})});
  Result<size_t> removed = RunRowOp("{ op: filter, expr: 'signup >= \"2020-01-01\"' }", t);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 2u);
  EXPECT_EQ(t.row_ids, (std::vector<int64_t>{1, 3}));
}

TEST(Filter, EmptyTableAndSingleRow) {
  Table empty = MakeTable({IntColumn("a", {})});
  Result<size_t> removed = RunRowOp("{ op: filter, expr: 'a > 1' }", empty);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 0u);
  Table one = MakeTable({IntColumn("a", {1})});
  removed = RunRowOp("{ op: filter, expr: 'a > 1' }", one);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1u);
  EXPECT_EQ(one.num_rows(), 0u);
}

TEST(Filter, SyntaxErrorsPointToTheSpecLine) {
  const char* yaml =
      "clean:\n"
      "  - { op: drop_duplicates }\n"
      "  - { op: filter, expr: 'age >=' }\n";
  Result<YamlDocument> doc = ParseYaml(yaml, "spec.yaml");
  ASSERT_TRUE(doc.ok());
  auto op = ParseRowOperation(SpecReader(*doc, "/clean/1"));
  ASSERT_FALSE(op.ok());
  EXPECT_EQ(op.status().message(),
            "spec.yaml:3: clean/1/expr: expression 'age >=' at offset 6: expected a value");
}

TEST(Filter, TypeErrorsAndUnknownColumnsNameTheEntryAndLeaveTheTableAlone) {
  const char* yaml =
      "clean:\n  - { op: filter, expr: 'age + 1' }\n  - { op: filter, expr: 'agee > 1' }\n";
  Result<YamlDocument> doc = ParseYaml(yaml, "spec.yaml");
  ASSERT_TRUE(doc.ok());
  Table t = MakeTable({IntColumn("age", {1, 2})});

  auto number = ParseRowOperation(SpecReader(*doc, "/clean/0"));
  ASSERT_TRUE(number.ok()) << number.status();
  Result<size_t> removed = (*number)->Run(t);
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.status().message().rfind(
                "spec.yaml:2: clean/0 (filter): expression 'age + 1' gives float values, but a "
                "condition",
                0),
            0u)
      << removed.status();

  auto unknown = ParseRowOperation(SpecReader(*doc, "/clean/1"));
  ASSERT_TRUE(unknown.ok());
  removed = (*unknown)->Run(t);
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.status().message(),
            "spec.yaml:3: clean/1 (filter): expression 'agee > 1': column 'agee' not found; the "
            "columns at this point are 'age'");
  EXPECT_EQ(t.num_rows(), 2u);
}

TEST(Filter, BadSpecFieldsAreErrors) {
  EXPECT_NE(testing::RowOp("{ op: filter }").status().message().find("'expr' is missing"),
            std::string::npos);
  EXPECT_NE(testing::RowOp("{ op: filter, expr: 5 }").status().message().find("expected a string"),
            std::string::npos);
  EXPECT_NE(testing::RowOp("{ op: filter, expr: 'a', keep: true }")
                .status()
                .message()
                .find("unknown field 'keep'"),
            std::string::npos);
}

TEST(Filter, ToJsonKeepsTheExpressionText) {
  auto op = testing::RowOp("{ op: filter, expr: 'age >= 18' }");
  ASSERT_TRUE(op.ok());
  EXPECT_EQ((*op)->ToJson(), Json::parse(R"({"op": "filter", "expr": "age >= 18"})"));
}

}  // namespace
}  // namespace citadel::data
