// Tests of the `derive` transform (src/data/transform/expression/derive.cc),
// kept beside the expression tests it builds on.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "data/testing/table_fixtures.h"

namespace citadel::data {
namespace {

using testing::FloatColumn;
using testing::IntColumn;
using testing::MakeTable;
using testing::StringColumn;

TEST(Derive, AddsAComputedColumnWithLineageThroughTheStoredForm) {
  Table t = MakeTable(
      {FloatColumn("weight", {70, 80, std::nullopt}), FloatColumn("height", {175, 200, 180})});
  auto tr = testing::Transform("{ op: derive, name: bmi, expr: 'weight / pow(height / 100, 2)' }");
  ASSERT_TRUE(tr.ok()) << tr.status();
  std::vector<size_t> train = {0};
  ASSERT_TRUE(testing::FitStoreApply(**tr, t, train).ok());
  ASSERT_EQ(t.num_columns(), 3u);
  const Column& bmi = t.columns[2];
  EXPECT_EQ(bmi.name, "bmi");
  EXPECT_EQ(bmi.type, ColumnType::kFloat);
  EXPECT_DOUBLE_EQ(bmi.floats[0], 70 / (1.75 * 1.75));
  EXPECT_DOUBLE_EQ(bmi.floats[1], 20.0);
  EXPECT_FALSE(bmi.is_valid(2));
  EXPECT_EQ(bmi.sources, (std::vector<std::string>{"height", "weight"}));
}

TEST(Derive, StoresTheExpressionAndNoFittedParameters) {
  auto tr = testing::Transform("{ op: derive, name: x2, expr: 'x * 2' }");
  ASSERT_TRUE(tr.ok());
  Table t = MakeTable({FloatColumn("x", {1})});
  ASSERT_TRUE((*tr)->Fit(t, testing::AllRows(t)).ok());
  EXPECT_EQ((*tr)->ToJson(), Json::parse(R"({"op": "derive", "name": "x2", "expr": "x * 2",
                                             "replace": false, "fitted": {}})"));
  EXPECT_FALSE((*tr)->LoadFitted(Json{{"mean", 1}}).ok());
  EXPECT_FALSE((*tr)->LoadFitted(Json::array()).ok());
}

TEST(Derive, StoredTransformEvaluatesAOneRowServingTable) {
  auto tr = testing::Transform("{ op: derive, name: adult, expr: 'age >= 18' }");
  ASSERT_TRUE(tr.ok());
  Table train = MakeTable({IntColumn("age", {10, 40})});
  ASSERT_TRUE((*tr)->Fit(train, testing::AllRows(train)).ok());
  Json stored = Json::parse((*tr)->ToJson().dump());
  auto reloaded = LoadFittedTransform(stored, {}, "schema.json");
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  Table request = MakeTable({IntColumn("age", {18})});
  ASSERT_TRUE((*reloaded)->Apply(request).ok());
  ASSERT_EQ(request.num_columns(), 2u);
  EXPECT_EQ(request.columns[1].type, ColumnType::kBool);
  EXPECT_EQ(request.columns[1].ints[0], 1);
}

TEST(Derive, ExistingNameIsAnErrorUnlessReplaceIsSet) {
  Table t = MakeTable({FloatColumn("age", {-3, 50, 200}), FloatColumn("y", {0, 1, 0})});
  auto clash = testing::Transform("{ op: derive, name: age, expr: 'clip(age, 0, 120)' }");
  ASSERT_TRUE(clash.ok());
  Status s = (*clash)->Fit(t, testing::AllRows(t));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("a column named 'age' already exists"), std::string::npos) << s;
  EXPECT_NE(s.message().find("replace: true"), std::string::npos) << s;

  auto replace =
      testing::Transform("{ op: derive, name: age, expr: 'clip(age, 0, 120)', replace: true }");
  ASSERT_TRUE(replace.ok());
  ASSERT_TRUE(testing::FitStoreApply(**replace, t, testing::AllRows(t)).ok());
  ASSERT_EQ(t.num_columns(), 2u);
  EXPECT_EQ(t.columns[0].name, "age");  // replaced in place, not appended
  EXPECT_EQ(t.columns[0].floats, (std::vector<double>{0, 50, 120}));
}

TEST(Derive, RefusesToReadOrWriteTheLabel) {
  Table t = MakeTable({FloatColumn("x", {1, 2}), FloatColumn("y", {0, 1})}, "y");
  auto reads = testing::Transform("{ op: derive, name: leak, expr: 'x + y' }");
  ASSERT_TRUE(reads.ok());
  Status s = (*reads)->Fit(t, testing::AllRows(t));
  EXPECT_NE(s.message().find("reads the label column 'y'"), std::string::npos) << s;
  auto writes = testing::Transform("{ op: derive, name: y, expr: 'x', replace: true }");
  ASSERT_TRUE(writes.ok());
  s = (*writes)->Fit(t, testing::AllRows(t));
  EXPECT_NE(s.message().find("writes the label column 'y'"), std::string::npos) << s;
}

TEST(Derive, ExpressionErrorsPointIntoTheSpec) {
  auto syntax = testing::Transform("{ op: derive, name: z, expr: 'x +' }");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().message(),
            "spec.yaml:1: expr: expression 'x +' at offset 3: expected a value");

  auto unknown_field = testing::Transform("{ op: derive, name: z, expr: 'x', as: float }");
  ASSERT_FALSE(unknown_field.ok());
  EXPECT_NE(unknown_field.status().message().find("unknown field 'as'"), std::string::npos);
  EXPECT_FALSE(testing::Transform("{ op: derive, expr: 'x' }").ok());
  EXPECT_FALSE(testing::Transform("{ op: derive, name: '', expr: 'x' }").ok());

  Table t = MakeTable({StringColumn("city", {"Oslo"})});
  auto types = testing::Transform("{ op: derive, name: z, expr: 'city * 2' }");
  ASSERT_TRUE(types.ok());
  Status s = (*types)->Fit(t, testing::AllRows(t));
  EXPECT_EQ(s.message(),
            "derive 'z': expression 'city * 2': '*' needs a number, got column 'city' (string)");
  auto missing = testing::Transform("{ op: derive, name: z, expr: 'town' }");
  ASSERT_TRUE(missing.ok());
  s = (*missing)->Fit(t, testing::AllRows(t));
  EXPECT_NE(s.message().find("column 'town' not found; the columns at this point are 'city'"),
            std::string::npos)
      << s;
}

TEST(Derive, EmptyTableAndNonFiniteValues) {
  Table empty = MakeTable({FloatColumn("x", {})});
  auto tr = testing::Transform("{ op: derive, name: lx, expr: 'log(x)' }");
  ASSERT_TRUE(tr.ok());
  ASSERT_TRUE(testing::FitStoreApply(**tr, empty, testing::AllRows(empty)).ok());
  EXPECT_EQ(empty.columns[1].size(), 0u);

  const double inf = std::numeric_limits<double>::infinity();
  Table t = MakeTable({FloatColumn("x", {inf, std::nan(""), 0})});
  auto again = testing::Transform("{ op: derive, name: lx, expr: 'log(x)' }");
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(testing::FitStoreApply(**again, t, testing::AllRows(t)).ok());
  EXPECT_EQ(t.columns[1].floats[0], inf);
  EXPECT_TRUE(std::isnan(t.columns[1].floats[1]));
  EXPECT_EQ(t.columns[1].floats[2], -inf);
}

}  // namespace
}  // namespace citadel::data
