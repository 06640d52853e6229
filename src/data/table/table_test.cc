#include "data/table/table.h"

#include <gtest/gtest.h>

#include "data/testing/table_fixtures.h"

namespace citadel::data {
namespace {

TEST(Table, KeepRowsKeepsRowIdsAndLinesAligned) {
  Table t = testing::MakeTable({testing::FloatColumn("x", {1, 2, 3})});
  std::vector<size_t> keep = {0, 2};
  t.KeepRows(keep);
  EXPECT_EQ(t.num_rows(), 2u);
  EXPECT_EQ(t.row_ids, (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(t.Where(1), "t.csv:4");
  EXPECT_DOUBLE_EQ(t.columns[0].floats[1], 3);
}

TEST(Table, GetNamesTheMissingColumnAndListsTheOthers) {
  Table t = testing::MakeTable({testing::FloatColumn("age", {1})});
  auto c = t.Get("agee", "filter");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("'agee'"), std::string::npos);
  EXPECT_NE(c.status().message().find("'age'"), std::string::npos);
}

TEST(Table, AddRefusesADuplicateName) {
  Table t = testing::MakeTable({testing::FloatColumn("x", {1})});
  EXPECT_FALSE(t.Add(testing::FloatColumn("x", {2})).ok());
  EXPECT_TRUE(t.Add(testing::FloatColumn("y", {2})).ok());
  t.Remove("x");
  EXPECT_EQ(t.IndexOf("y"), 0u);
}

}  // namespace
}  // namespace citadel::data
