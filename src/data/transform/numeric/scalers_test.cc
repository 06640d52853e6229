#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "data/testing/table_fixtures.h"

namespace citadel::data {
namespace {

using testing::FloatColumn;
using testing::MakeTable;

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
  EXPECT_NE((*named)->Fit(t, testing::AllRows(t)).message().find("not numeric"),
            std::string::npos);
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

TEST(TransformRegistry, RowOpsPointToCleanAndUnknownOpsListTheKnownOnes) {
  auto row = testing::Transform("{ op: drop_duplicates }");
  ASSERT_FALSE(row.ok());
  EXPECT_NE(row.status().message().find("clean:"), std::string::npos);
  auto unknown = testing::Transform("{ op: frobnicate }");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("standardize"), std::string::npos);
}

TEST(TransformRegistry, TamperedFittedParametersAreRefused) {
  Json stored = {{"op", "standardize"},
                 {"columns", "x"},
                 {"fitted", {{"columns", {"x"}}, {"center", {0.0}}, {"scale", {0.0}}}}};
  auto t = LoadFittedTransform(stored, {}, "schema.json");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("schema.json"), std::string::npos);
}

}  // namespace
}  // namespace citadel::data
