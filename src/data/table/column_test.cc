#include "data/table/column.h"

#include <gtest/gtest.h>

namespace citadel::data {
namespace {

TEST(Timestamp, ParsesDatesTimesFractionsAndOffsetsToUtcMicros) {
  EXPECT_EQ(ParseTimestamp("1970-01-01"), 0);
  EXPECT_EQ(ParseTimestamp("1970-01-02T00:00:01Z"), int64_t{86'401'000'000});
  EXPECT_EQ(ParseTimestamp("1970-01-01 01:00:00+01:00"), 0);
  EXPECT_EQ(ParseTimestamp("1970-01-01T00:00:00.5"), 500'000);
  EXPECT_EQ(ParseTimestamp("1969-12-31T23:59:59Z"), -1'000'000);
  EXPECT_EQ(ParseTimestamp("2024-02-29"), int64_t{1'709'164'800'000'000});
}

TEST(Timestamp, RejectsImpossibleDatesAndTrailingText) {
  for (const char* bad : {"2023-02-29", "2024-13-01", "2024-00-10", "2024-01-32", "24-01-01",
                          "2024-01-01T25:00", "2024-01-01x", "2024-01-01T10:00:00.", ""}) {
    EXPECT_FALSE(ParseTimestamp(bad).has_value()) << bad;
  }
}

TEST(Timestamp, FormatRoundTrips) {
  for (const char* text :
       {"2024-02-29T12:34:56Z", "1969-07-20T20:17:40.000001Z", "1900-01-01T00:00:00Z"}) {
    auto micros = ParseTimestamp(text);
    ASSERT_TRUE(micros.has_value()) << text;
    EXPECT_EQ(FormatTimestamp(*micros), text);
  }
}

TEST(Column, KeepRowsMovesValuesAndValidity) {
  Column c = Column::Empty("s", ColumnType::kString, {"s"});
  c.Append(std::string("a"));
  c.AppendMissing();
  c.Append(std::string("c"));
  std::vector<size_t> keep = {1, 2};
  c.KeepRows(keep);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_FALSE(c.is_valid(0));
  EXPECT_EQ(c.strings[1], "c");
  EXPECT_EQ(c.CountMissing(), 1u);
}

TEST(Column, CellTextOfEachType) {
  Column f = Column::Floats("f", {0.1, -2.5}, {"f"});
  EXPECT_EQ(f.CellText(0), "0.1");
  Column b = Column::Empty("b", ColumnType::kBool, {"b"});
  b.Append(int64_t{1});
  EXPECT_EQ(b.CellText(0), "true");
  EXPECT_EQ(ParseColumnType("categorical"), ColumnType::kString);
  EXPECT_FALSE(ParseColumnType("complex").has_value());
}

TEST(Column, MergeSourcesKeepsASortedSet) {
  std::vector<std::string> into = {"b"};
  MergeSources(into, {"c", "a", "b"});
  EXPECT_EQ(into, (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace citadel::data
