#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "base/random.h"
#include "data/clean/duplicate_rows.h"
#include "data/clean/row_op_testing.h"
#include "data/testing/table_fixtures.h"

namespace citadel::data {
namespace {

using testing::FloatColumn;
using testing::IntColumn;
using testing::MakeTable;
using testing::RunRowOp;
using testing::StringColumn;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(DropDuplicates, KeepsTheFirstOfRowsEqualInEveryColumn) {
  Table t =
      MakeTable({IntColumn("a", {1, 2, 1, 1, 2}), StringColumn("s", {"x", "y", "x", "z", "y"})});
  Result<size_t> removed = RunRowOp("{ op: drop_duplicates }", t);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 2u);
  EXPECT_EQ(t.row_ids, (std::vector<int64_t>{0, 1, 3}));
  EXPECT_EQ(t.lines, (std::vector<int64_t>{2, 3, 5}));
  EXPECT_EQ(t.columns[1].strings, (std::vector<std::string>{"x", "y", "z"}));
}

TEST(DropDuplicates, ComparesOnlyTheNamedColumns) {
  Table t = MakeTable({IntColumn("id", {7, 8, 7, 8}), StringColumn("s", {"a", "b", "c", "d"})});
  Result<size_t> removed = RunRowOp("{ op: drop_duplicates, columns: [id] }", t);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 2u);
  EXPECT_EQ(t.columns[1].strings, (std::vector<std::string>{"a", "b"}));
}

TEST(DropDuplicates, MissingEqualsMissingNanEqualsNanAndZeroEqualsMinusZero) {
  Table t = MakeTable({FloatColumn("x", {kNaN, kNaN, std::nullopt, std::nullopt, 0.0, -0.0, 1})});
  Result<size_t> removed = RunRowOp("{ op: drop_duplicates }", t);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 3u);
  EXPECT_EQ(t.row_ids, (std::vector<int64_t>{0, 2, 4, 6}));
}

TEST(DropDuplicates, AMissingCellDiffersFromZeroAndFromTheEmptyString) {
  // Missing cells hold 0 / "" in storage; they must still differ from them.
  Table t =
      MakeTable({IntColumn("i", {0, std::nullopt, 0}), StringColumn("s", {"", std::nullopt, ""})});
  Result<size_t> removed = RunRowOp("{ op: drop_duplicates }", t);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1u);
  EXPECT_EQ(t.row_ids, (std::vector<int64_t>{0, 1}));
}

TEST(DropDuplicates, OneMegabyteStringsDifferingInTheLastByte) {
  const std::string big(1 << 20, 'q');
  Table t = MakeTable({StringColumn("s", {big, big + "x", big, big + "y"})});
  Result<size_t> removed = RunRowOp("{ op: drop_duplicates }", t);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1u);
  EXPECT_EQ(t.row_ids, (std::vector<int64_t>{0, 1, 3}));
}

TEST(DropDuplicates, EmptyTableAndSingleRow) {
  Table empty = MakeTable({IntColumn("a", {})});
  Result<size_t> removed = RunRowOp("{ op: drop_duplicates }", empty);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 0u);
  Table one = MakeTable({IntColumn("a", {std::nullopt})});
  removed = RunRowOp("{ op: drop_duplicates }", one);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 0u);
}

// An independent, quadratic definition of "equal rows" to check against.
bool NaiveEqual(const Column& c, size_t a, size_t b) {
  if (c.is_valid(a) != c.is_valid(b)) return false;
  if (!c.is_valid(a)) return true;
  if (c.type == ColumnType::kFloat) {
    return (std::isnan(c.floats[a]) && std::isnan(c.floats[b])) || c.floats[a] == c.floats[b];
  }
  return c.CellText(a) == c.CellText(b);
}

TEST(FirstEqualRows, AgreesWithAQuadraticCheckOnARandomTable) {
  SeededRng rng(20240611);
  const size_t n = 1500;
  Column i = Column::Empty("i", ColumnType::kInt, {"i"});
  Column s = Column::Empty("s", ColumnType::kString, {"s"});
  Column f = Column::Empty("f", ColumnType::kFloat, {"f"});
  const double floats[] = {0.5, kNaN, -0.0, 0.0};
  for (size_t r = 0; r < n; ++r) {
    rng.Below(6) == 0 ? i.AppendMissing() : i.Append(static_cast<int64_t>(rng.Below(4)));
    rng.Below(5) == 0 ? s.AppendMissing() : s.Append(std::string(1, 'a' + rng.Below(3)));
    rng.Below(7) == 0 ? f.AppendMissing() : f.Append(floats[rng.Below(4)]);
  }
  const Column* cols[] = {&i, &s, &f};
  std::vector<size_t> first = FirstEqualRows(cols, n);
  size_t distinct = 0;
  for (size_t r = 0; r < n; ++r) {
    size_t expected = r;
    for (size_t p = 0; p < r && expected == r; ++p) {
      if (NaiveEqual(i, p, r) && NaiveEqual(s, p, r) && NaiveEqual(f, p, r)) expected = p;
    }
    ASSERT_EQ(first[r], expected) << "row " << r;
    distinct += expected == r;
  }
  // 5 * 4 * 4 possible keys (missing counts as a value, ±0 as one).
  EXPECT_LE(distinct, 80u);
  EXPECT_GT(distinct, 40u);
}

TEST(FirstEqualRows, NoColumnsMakesEveryRowEqualToTheFirst) {
  std::vector<size_t> first = FirstEqualRows({}, 3);
  EXPECT_EQ(first, (std::vector<size_t>{0, 0, 0}));
}

TEST(DropDuplicates, AMillionRowsInLinearTime) {
  const size_t n = 1'000'000;
  Column id = Column::Empty("id", ColumnType::kInt, {"id"});
  Column name = Column::Empty("name", ColumnType::kString, {"name"});
  for (size_t r = 0; r < n; ++r) {
    id.Append(static_cast<int64_t>(r % 400'000));
    name.Append("customer-" + std::to_string(r % 400'000));
  }
  Table t = MakeTable({std::move(id), std::move(name)});
  auto start = std::chrono::steady_clock::now();
  Result<size_t> removed = RunRowOp("{ op: drop_duplicates }", t);
  RecordProperty("milliseconds",
                 static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - start)
                                      .count()));
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 600'000u);
  EXPECT_EQ(t.row_ids.back(), 399'999);
}

TEST(DropDuplicates, UnknownColumnAndToJson) {
  Table t = MakeTable({IntColumn("a", {1, 1})});
  Result<size_t> removed = RunRowOp("{ op: drop_duplicates, columns: [b] }", t);
  ASSERT_FALSE(removed.ok());
  EXPECT_NE(removed.status().message().find("(drop_duplicates): column 'b' not found"),
            std::string::npos)
      << removed.status();
  EXPECT_EQ(t.num_rows(), 2u);
  auto op = testing::RowOp("{ op: drop_duplicates, columns: id }");
  ASSERT_TRUE(op.ok());
  EXPECT_EQ((*op)->ToJson(), Json::parse(R"({"op": "drop_duplicates", "columns": ["id"]})"));
}

}  // namespace
}  // namespace citadel::data
