#include "data/validate/expectation.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "base/text/yaml.h"

namespace citadel::data {
namespace {

// Parses `yaml` (a document with an expect: section) as a spec file would be.
Result<std::vector<Expectation>> Expect(std::string_view yaml) {
  ASSIGN_OR_RETURN(YamlDocument doc, ParseYaml(yaml, "spec.yaml"));
  return ParseExpectations(SpecReader(doc, "/expect"));
}

TEST(ParseExpectations, ReadsEveryKindWithDefaultNamesAndSeverity) {
  auto list = Expect(R"(expect:
  - { not_null: [customer_id, age] }
  - { range: { column: age, min: 0, max: 120 } }
  - { unique: customer_id }
  - { allowed_values: { column: country, values: [DE, FR, US] } }
  - { row_count: { min: 1000, max: 5000000 } }
  - { expr: 'income >= 0 or is_null(income)', name: non_negative_income }
)");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 6u);
  const std::vector<Expectation>& e = *list;
  EXPECT_EQ(e[0].kind, Expectation::Kind::kNotNull);
  EXPECT_EQ(e[0].name, "not_null(customer_id, age)");
  EXPECT_EQ(e[0].columns, (std::vector<std::string>{"customer_id", "age"}));
  EXPECT_EQ(e[0].severity, Severity::kError);
  EXPECT_EQ(e[0].where, "spec.yaml:2: expect/0");

  EXPECT_EQ(e[1].kind, Expectation::Kind::kRange);
  EXPECT_EQ(e[1].name, "range(age)");
  EXPECT_EQ(e[1].min, 0.0);
  EXPECT_EQ(e[1].max, 120.0);

  EXPECT_EQ(e[2].name, "unique(customer_id)");
  EXPECT_EQ(e[3].name, "allowed_values(country)");
  EXPECT_EQ(e[3].values, (std::vector<Json>{"DE", "FR", "US"}));
  EXPECT_EQ(e[4].kind, Expectation::Kind::kRowCount);
  EXPECT_EQ(e[4].min, 1000.0);
  EXPECT_EQ(e[4].max, 5000000.0);
  EXPECT_EQ(e[5].kind, Expectation::Kind::kExpr);
  EXPECT_EQ(e[5].name, "non_negative_income");
  ASSERT_TRUE(e[5].expression.has_value());
  EXPECT_EQ(e[5].expression->text(), "income >= 0 or is_null(income)");
  EXPECT_EQ(e[5].where, "spec.yaml:7: expect/5");
  EXPECT_EQ(e[5].spec, Json::parse(R"j({"expr": "income >= 0 or is_null(income)",
                                          "name": "non_negative_income"})j"));
  EXPECT_EQ(KindName(e[3].kind), "allowed_values");
}

TEST(ParseExpectations, SeverityNameAndOneSidedBounds) {
  auto list = Expect(R"(expect:
  - { unique: [a, b], severity: warn, name: one_row_per_pair }
  - { range: { column: x, max: 1.5 } }
  - { row_count: { min: 1 } }
)");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ((*list)[0].severity, Severity::kWarn);
  EXPECT_EQ((*list)[0].name, "one_row_per_pair");
  EXPECT_EQ((*list)[0].columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE((*list)[1].min.has_value());
  EXPECT_EQ((*list)[1].max, 1.5);
  EXPECT_FALSE((*list)[2].max.has_value());
}

TEST(ParseExpectations, AnAbsentSectionMeansNoExpectations) {
  auto list = Expect("clean: []\n");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST(ParseExpectations, BadEntriesAreErrorsWithTheirLine) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"{ not_nul: [a] }", "expect/0/not_nul: unknown field 'not_nul' (checks: not_null, range,"},
      {"{ not_null: [a], unique: b }", "one check per entry"},
      {"{ severity: warn }", "no check given; expected one of not_null"},
      {"{ not_null: [] }", "expect/0/not_null: expected at least one column name"},
      {"{ not_null: 5 }", "expected a list of strings"},
      {"{ range: { column: age } }", "expect/0/range: give min, max or both"},
      {"{ range: { column: age, min: 5, max: 1 } }", "max (1) is below min (5)"},
      {"{ range: { column: age, min: low } }", "expect/0/range/min: expected a number"},
      {"{ range: age }", "expect/0/range: expected a mapping"},
      {"{ range: { min: 1 } }", "required field 'column' is missing"},
      {"{ range: { column: a, min: 1, step: 2 } }", "unknown field 'step'"},
      {"{ allowed_values: { column: c, values: [] } }", "expected a non-empty list of values"},
      {"{ allowed_values: { column: c } }", "expected a non-empty list of values"},
      {"{ allowed_values: { column: c, values: [[1]] } }",
       "expected strings, numbers or true/false"},
      {"{ row_count: { min: -1 } }", "expect/0/row_count/min: expected an integer in [0,"},
      {"{ row_count: { max: 1.5 } }", "expected an integer"},
      {"{ expr: 'a >' }", "expect/0/expr: expression 'a >' at offset 3: expected a value"},
      {"{ expr: 5 }", "expected a string"},
      {"{ not_null: a, severity: fatal }", "expected error or warn, got 'fatal'"},
      {"{ not_null: a, name: '' }", "expect/0/name: must not be empty"},
      {"not_null", "expected a mapping with one check"},
  };
  for (const auto& [entry, says] : cases) {
    auto list = Expect(fmt::format("expect:\n  - {}\n", entry));
    ASSERT_FALSE(list.ok()) << entry;
    const std::string m = list.status().message();
    EXPECT_EQ(m.rfind("spec.yaml:2: ", 0), 0u) << m;
    EXPECT_NE(m.find(says), std::string::npos) << entry << " → " << m;
  }
  auto not_a_list = Expect("expect: { not_null: a }\n");
  ASSERT_FALSE(not_a_list.ok());
  EXPECT_NE(not_a_list.status().message().find("expected a list of expectations"),
            std::string::npos);
}

}  // namespace
}  // namespace citadel::data
