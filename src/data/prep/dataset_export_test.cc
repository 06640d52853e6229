// Label encoding and feature gathering of the dataset format.
#include "data/prep/dataset_export.h"

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

TEST(EncodeLabels, StringLabelsSortByteWiseAndIndexEveryRow) {
  Table t = MakeTable({StringColumn("y", {"cat", "ant", "cat", "bee"})}, "y");
  auto labels = EncodeLabels(t);
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(labels->classes, (std::vector<std::string>{"ant", "bee", "cat"}));
  EXPECT_EQ(labels->index, (std::vector<int64_t>{2, 0, 2, 1}));
}

TEST(EncodeLabels, IntLabelsSortNumericallyNotAsText) {
  Table t = MakeTable({IntColumn("y", {10, 2, 10, -1, 2})}, "y");
  auto labels = EncodeLabels(t);
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(labels->classes, (std::vector<std::string>{"-1", "2", "10"}));
  EXPECT_EQ(labels->index, (std::vector<int64_t>{2, 1, 2, 0, 1}));
}

TEST(EncodeLabels, BoolLabelsBecomeFalseAndTrue) {
  Column y = Column::Empty("y", ColumnType::kBool, {"y"});
  for (int64_t v : {1, 0, 1}) y.Append(v);
  Table t = MakeTable({std::move(y)}, "y");
  auto labels = EncodeLabels(t);
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(labels->classes, (std::vector<std::string>{"false", "true"}));
  EXPECT_EQ(labels->index, (std::vector<int64_t>{1, 0, 1}));
}

TEST(EncodeLabels, FloatLabelsAreDistinctByTheirText) {
  Table t = MakeTable({FloatColumn("y", {0.5, 1.0, 0.5, 2.25})}, "y");
  auto labels = EncodeLabels(t);
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(labels->classes, (std::vector<std::string>{"0.5", "1", "2.25"}));
  EXPECT_EQ(labels->index, (std::vector<int64_t>{0, 1, 0, 2}));
}

TEST(EncodeLabels, MissingAndInvalidUtf8LabelsNameTheLine) {
  Table missing = MakeTable({StringColumn("y", {"a", std::nullopt})}, "y");
  auto m = EncodeLabels(missing);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("t.csv:3"), std::string::npos) << m.status().message();
  EXPECT_NE(m.status().message().find("drop_missing"), std::string::npos);

  Table bad = MakeTable({StringColumn("y", {"a", "a", "b\xff"})}, "y");
  auto b = EncodeLabels(bad);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("t.csv:4"), std::string::npos) << b.status().message();
  EXPECT_NE(b.status().message().find("invalid UTF-8"), std::string::npos);
}

TEST(GatherFeatures, WritesTheChosenRowsRowMajorAcrossBlocks) {
  // 700 rows: more than one gather block, and a row subset in between.
  const size_t n = 700;
  Column a = Column::Empty("a", ColumnType::kFloat, {"a"});
  Column b = Column::Empty("b", ColumnType::kInt, {"b"});
  for (size_t r = 0; r < n; ++r) {
    a.Append(static_cast<double>(r) * 0.5);
    b.Append(static_cast<int64_t>(r) * -3);
  }
  Table t = MakeTable(
      {std::move(a), std::move(b), IntColumn("y", std::vector<std::optional<int64_t>>(n, 1))}, "y");
  auto features = SelectFeatures(t);
  ASSERT_TRUE(features.ok()) << features.status().ToString();
  EXPECT_EQ(features->names, (std::vector<std::string>{"a", "b"}));
  std::vector<size_t> rows;
  for (size_t r = 1; r < n; r += 3) rows.push_back(r);
  std::vector<float> out(rows.size() * 2, -1.0f);
  GatherFeatures(*features, rows, out);
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(out[2 * i], static_cast<float>(rows[i]) * 0.5f) << i;
    ASSERT_EQ(out[2 * i + 1], -3.0f * static_cast<float>(rows[i])) << i;
  }
}

TEST(SelectFeatures, NonFiniteOrFloat32OverflowingValuesNameRowAndColumn) {
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity(), 1e39}) {
    Table t = MakeTable({FloatColumn("x", {1.0, bad}), IntColumn("y", {0, 1})}, "y");
    auto f = SelectFeatures(t);
    ASSERT_FALSE(f.ok()) << bad;
    EXPECT_NE(f.status().message().find("t.csv:3: column 'x'"), std::string::npos)
        << f.status().message();
  }
  Table fine = MakeTable({FloatColumn("x", {3.4e38, -3.4e38}), IntColumn("y", {0, 1})}, "y");
  EXPECT_TRUE(SelectFeatures(fine).ok());
}

}  // namespace
}  // namespace citadel::data
