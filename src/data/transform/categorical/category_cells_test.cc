#include "data/transform/categorical/category_cells.h"

#include <gtest/gtest.h>

#include "base/text/utf8.h"
#include "data/testing/table_fixtures.h"

namespace citadel::data {
namespace {

using testing::FloatColumn;
using testing::MakeTable;

std::vector<std::string> Names(const Table& t) {
  std::vector<std::string> names;
  for (const Column& c : t.columns) names.push_back(c.name);
  return names;
}

TEST(Quoted, ShortValuesAreQuotedWholeAndLongOnesCutAtACharacterBoundary) {
  EXPECT_EQ(Quoted("red"), "'red'");
  EXPECT_EQ(Quoted(std::string(40, 'a')), "'" + std::string(40, 'a') + "'");
  EXPECT_EQ(Quoted(std::string(1 << 20, 'a')), "'" + std::string(40, 'a') + "…' (1048576 bytes)");
  // 39 ASCII bytes, then "é" across bytes 39-40: the cut backs off before it.
  std::string s = std::string(39, 'a') + "é" + std::string(10, 'b');
  std::string q = Quoted(s);
  EXPECT_EQ(q, "'" + std::string(39, 'a') + "…' (51 bytes)");
  EXPECT_TRUE(IsValidUtf8(q));
}

TEST(ReplaceColumns, OutputsTakeThePlaceOfTheFirstInput) {
  Table t = MakeTable(
      {FloatColumn("a", {1}), FloatColumn("b", {2}), FloatColumn("c", {3}), FloatColumn("d", {4})});
  std::vector<std::string> inputs = {"c", "b"};
  std::vector<Column> out = {Column::Floats("x", {0}, {}), Column::Floats("y", {0}, {})};
  ASSERT_TRUE(ReplaceColumns(t, inputs, false, std::move(out), "op").ok());
  EXPECT_EQ(Names(t), (std::vector<std::string>{"a", "x", "y", "d"}));
}

TEST(ReplaceColumns, KeptInputsAreFollowedByTheOutputs) {
  Table t = MakeTable({FloatColumn("a", {1}), FloatColumn("b", {2})});
  std::vector<std::string> inputs = {"a"};
  std::vector<Column> out = {Column::Floats("a2", {0}, {})};
  ASSERT_TRUE(ReplaceColumns(t, inputs, true, std::move(out), "op").ok());
  EXPECT_EQ(Names(t), (std::vector<std::string>{"a", "a2", "b"}));
}

TEST(ReplaceColumns, AnOutputMayReuseAReplacedNameButNotAnotherColumns) {
  Table t = MakeTable({FloatColumn("a", {1}), FloatColumn("b", {2})});
  std::vector<std::string> inputs = {"a"};
  std::vector<Column> reuse = {Column::Floats("a", {5}, {})};
  ASSERT_TRUE(ReplaceColumns(t, inputs, false, std::move(reuse), "op").ok());
  EXPECT_EQ(t.columns[0].floats[0], 5.0);

  std::vector<Column> clash = {Column::Floats("z", {0}, {}), Column::Floats("b", {0}, {})};
  Status s = ReplaceColumns(t, inputs, false, std::move(clash), "op");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'b' already exists"), std::string::npos) << s;
  EXPECT_EQ(Names(t), (std::vector<std::string>{"a", "b"})) << "nothing changes on error";

  std::vector<Column> twice = {Column::Floats("z", {0}, {}), Column::Floats("z", {0}, {})};
  EXPECT_FALSE(ReplaceColumns(t, inputs, false, std::move(twice), "op").ok());
  std::vector<std::string> absent = {"nope"};
  EXPECT_FALSE(ReplaceColumns(t, absent, false, {}, "op").ok());
}

TEST(CategoryText, IntsAndBoolsReadAsTheirText) {
  Column n = testing::IntColumn("n", {-42});
  Column b = Column::Empty("b", ColumnType::kBool, {"b"});
  b.Append(int64_t{0});
  std::string scratch;
  EXPECT_EQ(CategoryText(n, 0, scratch), "-42");
  EXPECT_EQ(CategoryText(b, 0, scratch), "false");
  EXPECT_TRUE(CheckCategorical(n, "op").ok());
  Column ts = Column::Empty("t", ColumnType::kTimestamp, {"t"});
  EXPECT_FALSE(CheckCategorical(ts, "op").ok());
}

}  // namespace
}  // namespace citadel::data
