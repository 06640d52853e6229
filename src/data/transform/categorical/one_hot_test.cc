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
using Floats = std::vector<double>;

std::vector<std::string> Names(const Table& t) {
  std::vector<std::string> names;
  for (const Column& c : t.columns) names.push_back(c.name);
  return names;
}

Floats Values(const Table& t, std::string_view name) {
  const Column* c = t.Find(name);
  EXPECT_NE(c, nullptr) << name;
  return c == nullptr ? Floats{} : c->floats;
}

// Fits on `fit_rows` through the stored form; returns the Apply status.
Status FitOn(std::string_view yaml, Table& t, std::vector<size_t> fit_rows) {
  auto tr = testing::Transform(yaml);
  if (!tr.ok()) return tr.status();
  return testing::FitStoreApply(**tr, t, fit_rows);
}

Status FitAll(std::string_view yaml, Table& t) { return FitOn(yaml, t, testing::AllRows(t)); }

TEST(OneHot, EncodesSortedCategoriesWhereTheInputStood) {
  Table t = MakeTable({FloatColumn("a", {1, 2, 3, 4}),
                       StringColumn("color", {"red", "blue", "red", "green"}),
                       FloatColumn("z", {0, 0, 0, 0})});
  ASSERT_TRUE(FitAll("{ op: one_hot, columns: color }", t).ok());
  EXPECT_EQ(Names(t),
            (std::vector<std::string>{"a", "color=blue", "color=green", "color=red", "z"}));
  EXPECT_EQ(Values(t, "color=blue"), (Floats{0, 1, 0, 0}));
  EXPECT_EQ(Values(t, "color=green"), (Floats{0, 0, 0, 1}));
  EXPECT_EQ(Values(t, "color=red"), (Floats{1, 0, 1, 0}));
  const Column* red = t.Find("color=red");
  EXPECT_EQ(red->type, ColumnType::kFloat);
  EXPECT_EQ(red->sources, (std::vector<std::string>{"color"}));
  EXPECT_EQ(red->CountMissing(), 0u);
}

TEST(OneHot, CategoriesComeFromTheFitRowsOnly) {
  // "green" appears only in the held-out row 2: it must be unseen, not a column.
  auto make = [] { return MakeTable({StringColumn("c", {"red", "blue", "green"})}); };
  Table ignore = make();
  ASSERT_TRUE(FitOn("{ op: one_hot, columns: c }", ignore, {0, 1}).ok());
  EXPECT_EQ(Names(ignore), (std::vector<std::string>{"c=blue", "c=red"}));
  EXPECT_EQ(Values(ignore, "c=blue")[2], 0.0);
  EXPECT_EQ(Values(ignore, "c=red")[2], 0.0);

  Table other = make();
  ASSERT_TRUE(FitOn("{ op: one_hot, columns: c, unknown: other }", other, {0, 1}).ok());
  EXPECT_EQ(Names(other), (std::vector<std::string>{"c=blue", "c=red", "c=__other__"}));
  EXPECT_EQ(Values(other, "c=__other__"), (Floats{0, 0, 1}));

  Table error = make();
  Status s = FitOn("{ op: one_hot, columns: c, unknown: error }", error, {0, 1});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'green' at t.csv:4"), std::string::npos) << s;
  EXPECT_NE(s.message().find("unknown: ignore"), std::string::npos) << s;
}

TEST(OneHot, MissingCellsAreZerosOrTheirOwnCategory) {
  Table ignore = MakeTable({StringColumn("c", {"x", std::nullopt, "y"})});
  ASSERT_TRUE(FitAll("{ op: one_hot, columns: c }", ignore).ok());
  EXPECT_EQ(Values(ignore, "c=x"), (Floats{1, 0, 0}));
  EXPECT_EQ(Values(ignore, "c=y"), (Floats{0, 0, 1}));

  Table category = MakeTable({StringColumn("c", {"x", std::nullopt, "y"})});
  ASSERT_TRUE(
      FitAll("{ op: one_hot, columns: c, missing: category, unknown: other }", category).ok());
  EXPECT_EQ(Names(category),
            (std::vector<std::string>{"c=x", "c=y", "c=__other__", "c=__missing__"}));
  EXPECT_EQ(Values(category, "c=__missing__"), (Floats{0, 1, 0}));
  EXPECT_EQ(Values(category, "c=__other__"), (Floats{0, 0, 0}));
}

TEST(OneHot, AllMissingColumnEncodesOnlyWithAMissingCategory) {
  Table refused = MakeTable({StringColumn("c", {std::nullopt, std::nullopt})});
  Status s = FitAll("{ op: one_hot, columns: c }", refused);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no category"), std::string::npos) << s;
  EXPECT_NE(s.message().find("missing: category"), std::string::npos) << s;

  Table ok = MakeTable({StringColumn("c", {std::nullopt, std::nullopt})});
  ASSERT_TRUE(FitAll("{ op: one_hot, columns: c, missing: category }", ok).ok());
  EXPECT_EQ(Names(ok), (std::vector<std::string>{"c=__missing__"}));
  EXPECT_EQ(Values(ok, "c=__missing__"), (Floats{1, 1}));
}

TEST(OneHot, EmptyInputAndSingleRow) {
  Table empty = MakeTable({StringColumn("c", {})});
  EXPECT_FALSE(FitAll("{ op: one_hot, columns: c }", empty).ok());
  Table empty_other = MakeTable({StringColumn("c", {})});
  ASSERT_TRUE(FitAll("{ op: one_hot, columns: c, unknown: other }", empty_other).ok());
  EXPECT_EQ(Names(empty_other), (std::vector<std::string>{"c=__other__"}));
  EXPECT_EQ(empty_other.columns[0].size(), 0u);

  Table one = MakeTable({StringColumn("c", {"only"})});
  ASSERT_TRUE(FitAll("{ op: one_hot, columns: c }", one).ok());
  EXPECT_EQ(Names(one), (std::vector<std::string>{"c=only"}));
  EXPECT_EQ(Values(one, "c=only"), (Floats{1}));
}

TEST(OneHot, MaxCategoriesKeepsTheMostFrequentWithTiesByValue) {
  // a x3, c x2, b x2, d x1: the top two are a and b (b beats c on the tie).
  Table t = MakeTable({StringColumn("c", {"a", "c", "b", "a", "d", "b", "c", "a"})});
  ASSERT_TRUE(FitAll("{ op: one_hot, columns: c, max_categories: 2, unknown: other }", t).ok());
  EXPECT_EQ(Names(t), (std::vector<std::string>{"c=a", "c=b", "c=__other__"}));
  EXPECT_EQ(Values(t, "c=__other__"), (Floats{0, 1, 0, 0, 1, 0, 1, 0}));
}

TEST(OneHot, MinFrequencySendsRareValuesToOtherOrZeros) {
  auto make = [] { return MakeTable({StringColumn("c", {"a", "a", "b", "c", "c"})}); };
  Table other = make();
  ASSERT_TRUE(FitAll("{ op: one_hot, columns: c, min_frequency: 2, unknown: other }", other).ok());
  EXPECT_EQ(Names(other), (std::vector<std::string>{"c=a", "c=c", "c=__other__"}));
  EXPECT_EQ(Values(other, "c=__other__"), (Floats{0, 0, 1, 0, 0}));
  Table ignore = make();
  ASSERT_TRUE(FitAll("{ op: one_hot, columns: c, min_frequency: 2 }", ignore).ok());
  EXPECT_EQ(Values(ignore, "c=a")[2] + Values(ignore, "c=c")[2], 0.0);
}

TEST(OneHot, MoreThanAThousandCategoriesNeedMaxCategories) {
  std::vector<testing::OptString> cells;
  for (int i = 0; i < 1001; ++i) cells.push_back("v" + std::to_string(i));
  Table wide = MakeTable({StringColumn("zip", cells)});
  Status s = FitAll("{ op: one_hot, columns: zip }", wide);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("1001 categories"), std::string::npos) << s;
  EXPECT_NE(s.message().find("max_categories"), std::string::npos) << s;
  EXPECT_NE(s.message().find("hash_features"), std::string::npos) << s;

  Table bounded = MakeTable({StringColumn("zip", cells)});
  ASSERT_TRUE(FitAll("{ op: one_hot, columns: zip, max_categories: 3 }", bounded).ok());
  // All counts tie at 1, so the three smallest texts win.
  EXPECT_EQ(Names(bounded), (std::vector<std::string>{"zip=v0", "zip=v1", "zip=v10"}));
}

TEST(OneHot, IntAndBoolColumnsUseTheirText) {
  Column flag = Column::Empty("flag", ColumnType::kBool, {"flag"});
  flag.Append(int64_t{1});
  flag.Append(int64_t{0});
  flag.Append(int64_t{1});
  Table t = MakeTable({IntColumn("n", {10, 2, 10}), flag});
  ASSERT_TRUE(FitAll("{ op: one_hot, columns: [n, flag] }", t).ok());
  // Sorted as text: "10" < "2".
  EXPECT_EQ(Names(t), (std::vector<std::string>{"n=10", "n=2", "flag=false", "flag=true"}));
  EXPECT_EQ(Values(t, "n=2"), (Floats{0, 1, 0}));
  EXPECT_EQ(Values(t, "flag=true"), (Floats{1, 0, 1}));
}

TEST(OneHot, FloatColumnsWithNanOrInfAreRefused) {
  Table t = MakeTable({FloatColumn("x", {std::nan(""), std::numeric_limits<double>::infinity()})});
  Status s = FitAll("{ op: one_hot, columns: x }", t);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'x' is float"), std::string::npos) << s;
}

TEST(OneHot, MegabyteValuesAreFreeTextAtFitAndUnseenAtApply) {
  std::string huge(1 << 20, 'q');
  Table fit = MakeTable({StringColumn("c", {"a", huge})});
  Status s = FitAll("{ op: one_hot, columns: c }", fit);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("1048576-byte value"), std::string::npos);
  EXPECT_NE(s.message().find("op: text"), std::string::npos);
  EXPECT_LT(s.message().size(), 400u) << "the value must be shortened in the message";

  Table apply = MakeTable({StringColumn("c", {"a", huge})});
  ASSERT_TRUE(FitOn("{ op: one_hot, columns: c }", apply, {0}).ok());
  EXPECT_EQ(Values(apply, "c=a"), (Floats{1, 0}));
  Table error = MakeTable({StringColumn("c", {"a", huge})});
  s = FitOn("{ op: one_hot, columns: c, unknown: error }", error, {0});
  ASSERT_FALSE(s.ok());
  EXPECT_LT(s.message().size(), 400u);
}

TEST(OneHot, InvalidUtf8CategoryIsRefusedBecauseSchemaJsonCannotHoldIt) {
  Table t = MakeTable({StringColumn("c", {"ok", "bad\xff"})});
  Status s = FitAll("{ op: one_hot, columns: c }", t);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("not valid UTF-8 at t.csv:3"), std::string::npos) << s;
}

TEST(OneHot, DropInputFalseKeepsTheInputBeforeItsOutputs) {
  Table t = MakeTable({StringColumn("c", {"x", "y"}), FloatColumn("z", {0, 0})});
  ASSERT_TRUE(FitAll("{ op: one_hot, columns: c, drop_input: false }", t).ok());
  EXPECT_EQ(Names(t), (std::vector<std::string>{"c", "c=x", "c=y", "z"}));
  EXPECT_EQ(t.columns[0].strings[1], "y");
}

TEST(OneHot, AllStringNeverSelectsTheLabel) {
  Table t = MakeTable({StringColumn("c", {"x", "y"}), StringColumn("label", {"p", "q"})}, "label");
  ASSERT_TRUE(FitAll("{ op: one_hot, columns: all_string }", t).ok());
  EXPECT_EQ(Names(t), (std::vector<std::string>{"c=x", "c=y", "label"}));
  Table named = MakeTable({StringColumn("c", {"x"}), StringColumn("label", {"p"})}, "label");
  EXPECT_NE(FitAll("{ op: one_hot, columns: label }", named).message().find("label column"),
            std::string::npos);
}

TEST(OneHot, OutputNameTakenOrReservedValueIsAnError) {
  Table taken = MakeTable({StringColumn("c", {"x"}), FloatColumn("c=x", {1})});
  Status s = FitAll("{ op: one_hot, columns: c }", taken);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'c=x' already exists"), std::string::npos) << s;
  EXPECT_EQ(taken.num_columns(), 2u) << "a failed apply must leave the table as it was";

  Table reserved = MakeTable({StringColumn("c", {"__other__"})});
  s = FitAll("{ op: one_hot, columns: c, unknown: other }", reserved);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("reserved"), std::string::npos) << s;
}

TEST(OneHot, BadSpecFieldsAreRefused) {
  EXPECT_FALSE(testing::Transform("{ op: one_hot }").ok());
  EXPECT_FALSE(testing::Transform("{ op: one_hot, columns: c, unknown: drop }").ok());
  EXPECT_FALSE(testing::Transform("{ op: one_hot, columns: c, missing: zero }").ok());
  EXPECT_FALSE(testing::Transform("{ op: one_hot, columns: c, max_categories: 0 }").ok());
  EXPECT_FALSE(testing::Transform("{ op: one_hot, columns: c, min_frequency: -1 }").ok());
  EXPECT_FALSE(testing::Transform("{ op: one_hot, columns: c, drop_input: maybe }").ok());
  EXPECT_FALSE(testing::Transform("{ op: one_hot, columns: c, bins: 3 }").ok());
  auto both = testing::Transform("{ op: one_hot, columns: c, unknown: error, min_frequency: 2 }");
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("unknown: other"), std::string::npos);
  Table t = MakeTable({StringColumn("c", {"x"})});
  EXPECT_NE(FitAll("{ op: one_hot, columns: nope }", t).message().find("'nope' not found"),
            std::string::npos);
}

TEST(OneHot, TamperedFittedCategoriesAreRefused) {
  Json stored = Json::parse(R"({"op": "one_hot", "columns": "c",
      "fitted": {"columns": ["c"], "categories": [["b", "a"]]}})");
  auto t = LoadFittedTransform(stored, {}, "schema.json");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("sorted"), std::string::npos) << t.status();
  stored["fitted"].erase("categories");
  EXPECT_FALSE(LoadFittedTransform(stored, {}, "schema.json").ok());
}

}  // namespace
}  // namespace citadel::data
