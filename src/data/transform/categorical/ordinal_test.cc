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
using Ints = std::vector<int64_t>;

Status FitOn(std::string_view yaml, Table& t, std::vector<size_t> fit_rows) {
  auto tr = testing::Transform(yaml);
  if (!tr.ok()) return tr.status();
  return testing::FitStoreApply(**tr, t, fit_rows);
}

Status FitAll(std::string_view yaml, Table& t) { return FitOn(yaml, t, testing::AllRows(t)); }

TEST(Ordinal, LexicalCodesFromFitRowsUnseenIsMinusOneMissingStaysMissing) {
  // Fitted on rows 0-2 (b, a, c): a=0, b=1, c=2. Row 3's "z" is held out, so unseen.
  Table t = MakeTable(
      {StringColumn("s", {"b", "a", "c", "z", std::nullopt}), FloatColumn("y", {0, 0, 0, 0, 0})});
  ASSERT_TRUE(FitOn("{ op: ordinal, columns: s }", t, {0, 1, 2}).ok());
  const Column& s = t.columns[0];
  EXPECT_EQ(s.name, "s");
  EXPECT_EQ(s.type, ColumnType::kInt);
  EXPECT_EQ(s.sources, (std::vector<std::string>{"s"}));
  EXPECT_EQ(s.ints[0], 1);
  EXPECT_EQ(s.ints[1], 0);
  EXPECT_EQ(s.ints[2], 2);
  EXPECT_EQ(s.ints[3], -1);
  EXPECT_FALSE(s.is_valid(4));
  EXPECT_EQ(t.columns[1].name, "y");
}

TEST(Ordinal, FrequencyOrderPutsTheMostCommonFirstWithTiesByValue) {
  // y x2, x x2, w x1, z x1 → x=0, y=1 (tie by text), w=2, z=3.
  Table t = MakeTable({StringColumn("s", {"y", "x", "y", "z", "x", "w"})});
  ASSERT_TRUE(FitAll("{ op: ordinal, columns: s, order: frequency }", t).ok());
  EXPECT_EQ(t.columns[0].ints, (Ints{1, 0, 1, 3, 0, 2}));
}

TEST(Ordinal, ExplicitOrderGivesTheCodesAndOutsideValuesAreUnknown) {
  Table t = MakeTable({StringColumn("size", {"L", "S", "XL", "M"})});
  ASSERT_TRUE(FitAll("{ op: ordinal, columns: size, order: [S, M, L] }", t).ok());
  EXPECT_EQ(t.columns[0].ints, (Ints{2, 0, -1, 1}));

  Table strict = MakeTable({StringColumn("size", {"L", "XL"})});
  Status s = FitAll("{ op: ordinal, columns: size, order: [S, M, L], unknown: error }", strict);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'XL' at t.csv:3"), std::string::npos) << s;
  EXPECT_NE(s.message().find("order list"), std::string::npos) << s;
}

TEST(Ordinal, UnknownErrorNamesTheHeldOutRow) {
  Table t = MakeTable({StringColumn("s", {"a", "b", "new"})});
  Status s = FitOn("{ op: ordinal, columns: s, unknown: error }", t, {0, 1});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'new' at t.csv:4"), std::string::npos) << s;
  EXPECT_NE(s.message().find("unknown: value"), std::string::npos) << s;
}

TEST(Ordinal, EmptyAllMissingAndSingleRowInputs) {
  Table empty = MakeTable({StringColumn("s", {})});
  ASSERT_TRUE(FitAll("{ op: ordinal, columns: s }", empty).ok());
  EXPECT_EQ(empty.columns[0].type, ColumnType::kInt);
  EXPECT_EQ(empty.columns[0].size(), 0u);

  Table missing = MakeTable({StringColumn("s", {std::nullopt, std::nullopt})});
  ASSERT_TRUE(FitAll("{ op: ordinal, columns: s }", missing).ok());
  EXPECT_EQ(missing.columns[0].CountMissing(), 2u);

  // Nothing fitted, so a later value has no code.
  Table later = MakeTable({StringColumn("s", {std::nullopt, "a"})});
  ASSERT_TRUE(FitOn("{ op: ordinal, columns: s }", later, {0}).ok());
  EXPECT_EQ(later.columns[0].ints[1], -1);

  Table one = MakeTable({StringColumn("s", {"only"})});
  ASSERT_TRUE(FitAll("{ op: ordinal, columns: s }", one).ok());
  EXPECT_EQ(one.columns[0].ints, (Ints{0}));
}

TEST(Ordinal, IntAndBoolColumnsAreCodedByTheirText) {
  Column flag = Column::Empty("flag", ColumnType::kBool, {"flag"});
  flag.Append(int64_t{1});
  flag.Append(int64_t{0});
  Table t = MakeTable({IntColumn("n", {10, 9}), flag});
  ASSERT_TRUE(FitAll("{ op: ordinal, columns: [n, flag] }", t).ok());
  EXPECT_EQ(t.columns[0].ints, (Ints{0, 1}));  // "10" < "9" as text
  EXPECT_EQ(t.columns[1].ints, (Ints{1, 0}));  // "false" < "true"
}

TEST(Ordinal, FloatColumnsWithNanOrInfAreRefused) {
  Table t = MakeTable({FloatColumn("x", {std::nan(""), -std::numeric_limits<double>::infinity()})});
  Status s = FitAll("{ op: ordinal, columns: x }", t);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'x' is float"), std::string::npos) << s;
}

TEST(Ordinal, MegabyteValueIsRefusedAtFitAndUnknownAtApply) {
  std::string huge(1 << 20, 'q');
  Table fit = MakeTable({StringColumn("s", {huge})});
  Status s = FitAll("{ op: ordinal, columns: s }", fit);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("1048576-byte value"), std::string::npos) << s.message().size();
  EXPECT_LT(s.message().size(), 400u);

  Table apply = MakeTable({StringColumn("s", {"a", huge})});
  ASSERT_TRUE(FitOn("{ op: ordinal, columns: s }", apply, {0}).ok());
  EXPECT_EQ(apply.columns[0].ints, (Ints{0, -1}));
}

TEST(Ordinal, BadSpecFieldsAreRefused) {
  EXPECT_FALSE(testing::Transform("{ op: ordinal }").ok());
  EXPECT_FALSE(testing::Transform("{ op: ordinal, columns: s, order: random }").ok());
  EXPECT_FALSE(testing::Transform("{ op: ordinal, columns: s, order: [] }").ok());
  EXPECT_FALSE(testing::Transform("{ op: ordinal, columns: s, order: [a, 1] }").ok());
  EXPECT_FALSE(testing::Transform("{ op: ordinal, columns: s, unknown: other }").ok());
  auto dup = testing::Transform("{ op: ordinal, columns: s, order: [a, b, a] }");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("'a' is listed twice"), std::string::npos);
  Table t = MakeTable({StringColumn("s", {"a"}), StringColumn("y", {"p"})}, "y");
  EXPECT_NE(FitAll("{ op: ordinal, columns: y }", t).message().find("label"), std::string::npos);
}

TEST(Ordinal, TamperedFittedCategoriesAreRefused) {
  Json stored = Json::parse(R"({"op": "ordinal", "columns": "s",
      "fitted": {"columns": ["s"], "categories": [["a", "a"]]}})");
  auto t = LoadFittedTransform(stored, {}, "schema.json");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("unique"), std::string::npos) << t.status();
}

}  // namespace
}  // namespace citadel::data
