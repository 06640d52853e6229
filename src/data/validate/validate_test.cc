#include <fmt/format.h>
#include <gtest/gtest.h>

#include <limits>

#include "base/text/yaml.h"
#include "data/expr/test_columns.h"
#include "data/testing/table_fixtures.h"
#include "data/validate/validation_report.h"

namespace citadel::data {
namespace {

using testing::BoolColumn;
using testing::FloatColumn;
using testing::IntColumn;
using testing::MakeTable;
using testing::StringColumn;
using testing::TimestampColumn;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Validates `table` against one expectation written as YAML flow; the entry
// is on line 2 of spec.yaml.
Result<ExpectationResult> Check(const Table& table, std::string_view entry) {
  ASSIGN_OR_RETURN(YamlDocument doc,
                   ParseYaml(fmt::format("expect:\n  - {}\n", entry), "spec.yaml"));
  ASSIGN_OR_RETURN(std::vector<Expectation> list, ParseExpectations(SpecReader(doc, "/expect")));
  ASSIGN_OR_RETURN(ValidationReport report, Validate(table, list));
  EXPECT_EQ(report.results.size(), 1u);
  return report.results.at(0);
}

std::vector<std::string> Wheres(const ExpectationResult& r) {
  std::vector<std::string> out;
  for (const Violation& v : r.rows) out.push_back(v.where);
  return out;
}

std::vector<std::string> Values(const ExpectationResult& r) {
  std::vector<std::string> out;
  for (const Violation& v : r.rows) out.push_back(v.value);
  return out;
}

TEST(Validate, NotNullReportsEveryMissingCellWithItsLineAndColumn) {
  Table t = MakeTable(
      {IntColumn("id", {1, std::nullopt, 3}), IntColumn("age", {std::nullopt, std::nullopt, 30})});
  auto r = Check(t, "{ not_null: [id, age] }");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->passed);
  EXPECT_EQ(r->violations, 3u);
  EXPECT_EQ(Wheres(*r), (std::vector<std::string>{"t.csv:2", "t.csv:3", "t.csv:3"}));
  ASSERT_EQ(r->rows.size(), 3u);
  EXPECT_EQ(r->rows[0].column, "age");
  EXPECT_EQ(r->rows[1].column, "id");
  EXPECT_EQ(r->rows[1].row_id, 1);
  EXPECT_EQ(r->rows[1].detail, "is missing");
}

TEST(Validate, EveryCheckPassesOnAnEmptyTableExceptAMinimumRowCount) {
  Table t = MakeTable({IntColumn("a", {}), StringColumn("s", {})});
  for (std::string_view entry :
       {"{ not_null: a }", "{ range: { column: a, min: 0 } }", "{ unique: [a, s] }",
        "{ allowed_values: { column: s, values: [x] } }", "{ expr: 'a > 0' }",
        "{ row_count: { max: 10 } }"}) {
    auto r = Check(t, entry);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->passed) << entry;
  }
  auto min = Check(t, "{ row_count: { min: 1 } }");
  ASSERT_TRUE(min.ok());
  EXPECT_FALSE(min->passed);
}

TEST(Validate, RangeIsInclusiveSkipsMissingCellsAndFlagsNan) {
  Table t = MakeTable({FloatColumn("age", {0, 120, 150, -1, kNaN, std::nullopt, 50})});
  auto r = Check(t, "{ range: { column: age, min: 0, max: 120 } }");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->violations, 3u);
  EXPECT_EQ(Wheres(*r), (std::vector<std::string>{"t.csv:4", "t.csv:5", "t.csv:6"}));
  EXPECT_EQ(Values(*r), (std::vector<std::string>{"150", "-1", "nan"}));
  EXPECT_EQ(r->rule, "allowed range 0 … 120");
}

TEST(Validate, RangeWithOneBoundOnAnIntColumn) {
  Table t = MakeTable({IntColumn("n", {-2, 0, 7})});
  auto r = Check(t, "{ range: { column: n, min: 0 } }");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->violations, 1u);
  EXPECT_EQ(r->rule, "allowed range ≥ 0");
  auto upper = Check(t, "{ range: { column: n, max: 6.5 } }");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(Values(*upper), (std::vector<std::string>{"7"}));
  EXPECT_EQ(upper->rule, "allowed range ≤ 6.5");
}

TEST(Validate, RangeOnANonNumericColumnIsAnErrorWithAHint) {
  Table t = MakeTable({StringColumn("country", {"DE"}), TimestampColumn("signup", {"2020-01-01"})});
  auto s = Check(t, "{ range: { column: country, min: 0 } }");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "spec.yaml:2: expect/0 (range(country)): range needs a numeric column; column "
            "'country' is string; for categories use allowed_values");
  auto ts = Check(t, "{ range: { column: signup, min: 0 } }");
  ASSERT_FALSE(ts.ok());
  EXPECT_NE(ts.status().message().find("expr: 'signup >= \"2020-01-01\"'"), std::string::npos);
}

TEST(Validate, UniqueReportsEachLaterCopyWithTheLineOfTheFirst) {
  Table t = MakeTable({IntColumn("id", {7, 8, 7, std::nullopt, std::nullopt, 7})});
  auto r = Check(t, "{ unique: id }");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->violations, 2u);  // missing ids are not compared
  EXPECT_EQ(Wheres(*r), (std::vector<std::string>{"t.csv:4", "t.csv:7"}));
  ASSERT_EQ(r->rows.size(), 2u);
  EXPECT_EQ(r->rows[1].value, "7");
  EXPECT_EQ(r->rows[1].detail, "first seen at t.csv:2");
}

TEST(Validate, UniqueOverAListChecksTheCombination) {
  Table t = MakeTable({IntColumn("a", {1, 1, 1}), StringColumn("b", {"x", "y", "x"})});
  auto r = Check(t, "{ unique: [a, b] }");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->violations, 1u);
  EXPECT_EQ(r->rows[0].column, "a, b");
  EXPECT_EQ(r->rows[0].value, "1, x");
  EXPECT_EQ(r->rule, "combinations must be unique");
}

TEST(Validate, AllowedValuesOnStringsSkipsMissingAndIsCaseSensitive) {
  Table t = MakeTable({StringColumn("country", {"DE", "XX", std::nullopt, "FR", "de"})});
  auto r = Check(t, "{ allowed_values: { column: country, values: [DE, FR, US] } }");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Values(*r), (std::vector<std::string>{"XX", "de"}));
  EXPECT_EQ(Wheres(*r), (std::vector<std::string>{"t.csv:3", "t.csv:6"}));
  EXPECT_EQ(r->rule, "allowed: DE, FR, US");
}

TEST(Validate, AllowedValuesAreComparedAsTheColumnsType) {
  Table t = MakeTable({IntColumn("i", {1, 2, 3}), FloatColumn("f", {0.5, kNaN, -0.0}),
                       BoolColumn("b", {true, true, false}),
                       TimestampColumn("ts", {"2020-01-01", "2020-01-01T00:00:00Z", "2021-01-01"}),
                       StringColumn("zip", {"10115", "20095", "99999"})});
  const std::pair<std::string_view, size_t> cases[] = {
      {"{ allowed_values: { column: i, values: [1, 2] } }", 1},
      {"{ allowed_values: { column: f, values: [0.5, 0] } }", 1},  // NaN; -0 equals 0
      {"{ allowed_values: { column: b, values: [true] } }", 1},
      {"{ allowed_values: { column: ts, values: ['2020-01-01'] } }", 1},
      {"{ allowed_values: { column: zip, values: [10115, 20095] } }", 1},  // numbers as text
  };
  for (const auto& [entry, violations] : cases) {
    auto r = Check(t, entry);
    ASSERT_TRUE(r.ok()) << entry << ": " << r.status();
    EXPECT_EQ(r->violations, violations) << entry;
    ASSERT_EQ(r->rows.size(), violations);
    EXPECT_EQ(r->rows[0].where,
              entry.find("column: f") != std::string::npos ? "t.csv:3" : "t.csv:4")
        << entry;
  }
  auto bad = Check(t, "{ allowed_values: { column: i, values: [DE] } }");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("value \"DE\" cannot occur in column 'i' (int)"),
            std::string::npos)
      << bad.status();
}

TEST(Validate, RowCountBounds) {
  Table t = MakeTable({IntColumn("a", {1, 2, 3})});
  auto low = Check(t, "{ row_count: { min: 5 } }");
  ASSERT_TRUE(low.ok());
  EXPECT_EQ(low->violations, 1u);
  ASSERT_EQ(low->rows.size(), 1u);
  EXPECT_EQ(low->rows[0].where, "t.csv");
  EXPECT_EQ(low->rows[0].value, "the table has 3 rows");
  EXPECT_EQ(low->rows[0].row_id, -1);
  EXPECT_EQ(low->rule, "at least 5 rows");
  auto high = Check(t, "{ row_count: { max: 2 } }");
  ASSERT_TRUE(high.ok());
  EXPECT_FALSE(high->passed);
  auto within = Check(t, "{ row_count: { min: 3, max: 3 } }");
  ASSERT_TRUE(within.ok());
  EXPECT_TRUE(within->passed);
  EXPECT_EQ(within->rule, "allowed 3 … 3 rows");
}

TEST(Validate, ExprViolationsAreTheRowsWhereItIsFalseOrNull) {
  Table t = MakeTable({IntColumn("income", {5, -3, std::nullopt}), IntColumn("age", {1, 2, 3})});
  auto r = Check(t, "{ expr: 'income >= 0', name: non_negative_income }");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->name, "non_negative_income");
  EXPECT_EQ(r->violations, 2u);
  EXPECT_EQ(Values(*r), (std::vector<std::string>{"income = -3", "income = (missing)"}));
  EXPECT_EQ(r->rows[0].detail, "it is false");
  EXPECT_EQ(r->rows[1].detail, "it is null");
  auto allowing_missing = Check(t, "{ expr: 'income >= 0 or is_null(income)' }");
  ASSERT_TRUE(allowing_missing.ok());
  EXPECT_EQ(allowing_missing->violations, 1u);
  EXPECT_EQ(allowing_missing->name, "expr(income >= 0 or is_null(income))");
}

TEST(Validate, ExprThatIsNotAConditionOrReadsAnUnknownColumnIsAnError) {
  Table t = MakeTable({IntColumn("income", {5})});
  auto number = Check(t, "{ expr: 'income * 2', name: doubled }");
  ASSERT_FALSE(number.ok());
  EXPECT_EQ(number.status().message().rfind("spec.yaml:2: expect/0 (doubled): expression 'income "
                                            "* 2' gives float values, but a condition",
                                            0),
            0u)
      << number.status();
  auto unknown = Check(t, "{ expr: 'incme > 0' }");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("column 'incme' not found; the columns at this "
                                            "point are 'income'"),
            std::string::npos);
}

TEST(Validate, AnAbsentColumnNamesTheExpectation) {
  Table t = MakeTable({IntColumn("a", {1})});
  auto r = Check(t, "{ not_null: [a, nope] }");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "spec.yaml:2: expect/0 (not_null(a, nope)): column 'nope' not found; the columns at "
            "this point are 'a'");
}

TEST(Validate, KeepsTheFirstTwentyViolationsAndCountsAll) {
  std::vector<std::optional<int64_t>> cells(100, std::nullopt);
  Table t = MakeTable({IntColumn("a", cells)});
  auto r = Check(t, "{ not_null: a }");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->violations, 100u);
  ASSERT_EQ(r->rows.size(), kMaxReportedRows);
  EXPECT_EQ(r->rows.back().where, "t.csv:21");
}

TEST(Validate, LongAndInvalidUtf8CellsAreShortenedAndMadeSafeForJson) {
  Table t = MakeTable({StringColumn("s", {std::string(1 << 20, 'z'), "bad \xff byte"})});
  auto r = Check(t, "{ allowed_values: { column: s, values: [ok] } }");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->rows.size(), 2u);
  EXPECT_EQ(r->rows[0].value, std::string(40, 'z') + "…");
  EXPECT_EQ(r->rows[1].value, "bad ? byte");
  ValidationReport report;
  report.results.push_back(*r);
  EXPECT_NO_THROW(report.ToJson().dump());
}

TEST(Validate, WarningsAreReportedButDoNotFail) {
  Table t = MakeTable({IntColumn("a", {1, 1})});
  Result<YamlDocument> doc =
      ParseYaml("expect:\n  - { unique: a, severity: warn }\n  - { not_null: a }\n", "spec.yaml");
  ASSERT_TRUE(doc.ok());
  auto list = ParseExpectations(SpecReader(*doc, "/expect"));
  ASSERT_TRUE(list.ok());
  auto report = Validate(t, *list);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->results[0].passed);
  EXPECT_TRUE(report->results[1].passed);
  EXPECT_FALSE(report->failed());
}

}  // namespace
}  // namespace citadel::data
