#include "data/validate/validation_report.h"

#include <gtest/gtest.h>

#include "base/text/yaml.h"
#include "data/testing/table_fixtures.h"

namespace citadel::data {
namespace {

using testing::FloatColumn;
using testing::IntColumn;
using testing::MakeTable;
using testing::StringColumn;

Result<ValidationReport> ValidateYaml(const Table& t, std::string_view yaml) {
  ASSIGN_OR_RETURN(YamlDocument doc, ParseYaml(yaml, "spec.yaml"));
  ASSIGN_OR_RETURN(std::vector<Expectation> list, ParseExpectations(SpecReader(doc, "/expect")));
  return Validate(t, list);
}

TEST(ValidationReport, SummaryListsFailedExpectationsWithTheirFirstFiveRows) {
  Table t = MakeTable({FloatColumn("age", {150, 1, -1, 200, 121, 130, 140, 35}),
                       IntColumn("id", {1, 2, 3, 1, 5, 6, 7, 8}),
                       StringColumn("c", {"DE", "DE", "DE", "DE", "DE", "DE", "DE", "DE"})});
  auto report = ValidateYaml(t, R"(expect:
  - { range: { column: age, min: 0, max: 120 } }
  - { unique: id, severity: warn }
  - { not_null: [c] }
  - { row_count: { min: 10 } }
)");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->failed());
  EXPECT_EQ(report->Summary(),
            "3 of 4 expectations failed (2 errors, 1 warning):\n"
            "  error range(age): 6 violations\n"
            "    t.csv:2: column 'age' = 150 (allowed range 0 … 120)\n"
            "    t.csv:4: column 'age' = -1 (allowed range 0 … 120)\n"
            "    t.csv:5: column 'age' = 200 (allowed range 0 … 120)\n"
            "    t.csv:6: column 'age' = 121 (allowed range 0 … 120)\n"
            "    t.csv:7: column 'age' = 130 (allowed range 0 … 120)\n"
            "    … and 1 more\n"
            "  warn unique(id): 1 violation\n"
            "    t.csv:5: column 'id' = 1 (values must be unique; first seen at t.csv:2)\n"
            "  error row_count: 1 violation\n"
            "    t.csv: the table has 8 rows (at least 10 rows)");
}

TEST(ValidationReport, SummaryLinesForMissingCellsAndExpressions) {
  Table t = MakeTable({IntColumn("income", {std::nullopt, -3}), StringColumn("s", {"", "x"})});
  auto report = ValidateYaml(t, R"(expect:
  - { not_null: income }
  - { expr: 'income >= 0', name: non_negative_income }
  - { allowed_values: { column: s, values: [x] } }
)");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->Summary(),
            "3 of 3 expectations failed (3 errors, 0 warnings):\n"
            "  error not_null(income): 1 violation\n"
            "    t.csv:2: column 'income' is missing\n"
            "  error non_negative_income: 2 violations\n"
            "    t.csv:2: income = (missing) (expression 'income >= 0' must be true; it is null)\n"
            "    t.csv:3: income = -3 (expression 'income >= 0' must be true; it is false)\n"
            "  error allowed_values(s): 1 violation\n"
            "    t.csv:2: column 's' = \"\" (allowed: x)");
}

TEST(ValidationReport, SummaryWhenEverythingHeld) {
  Table t = MakeTable({IntColumn("a", {1, 2})});
  auto report = ValidateYaml(t, "expect:\n  - { unique: a }\n  - { not_null: a }\n");
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->failed());
  EXPECT_EQ(report->Summary(), "all 2 expectations held");
  auto none = ValidateYaml(t, "expect: []\n");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->Summary(), "all 0 expectations held");
}

TEST(ValidationReport, ToJsonHoldsVerdictCountsRowsAndTheSpec) {
  Table t = MakeTable({IntColumn("age", {30, 150})});
  auto report = ValidateYaml(t, R"(expect:
  - { range: { column: age, max: 120 }, severity: warn }
)");
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->ToJson(), Json::parse(R"j({
    "passed": false,
    "failed": false,
    "expectations": [{
      "name": "range(age)", "kind": "range", "severity": "warn", "passed": false,
      "violations": 1, "rule": "allowed range ≤ 120",
      "rows": [{"row_id": 1, "where": "t.csv:3", "column": "age", "value": "150", "detail": ""}],
      "spec": {"range": {"column": "age", "max": 120}, "severity": "warn"}
    }]
  })j"));
}

}  // namespace
}  // namespace citadel::data
