#include "data/profile/table_profile.h"

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

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Json Top(std::vector<std::pair<std::string, size_t>> entries) {
  Json out = Json::array();
  for (auto& [value, count] : entries) out.push_back(Json{{"value", value}, {"count", count}});
  return out;
}

Column TimestampColumn(std::string name, std::vector<std::optional<std::string>> iso) {
  Column c = Column::Empty(name, ColumnType::kTimestamp, {name});
  for (const auto& text : iso) text ? c.Append(*ParseTimestamp(*text)) : c.AppendMissing();
  return c;
}

Column BoolColumn(std::string name, std::vector<std::optional<bool>> cells) {
  Column c = Column::Empty(name, ColumnType::kBool, {name});
  for (const auto& x : cells) x ? c.Append(int64_t{*x ? 1 : 0}) : c.AppendMissing();
  return c;
}

TEST(ProfileTable, EmptyTableHasSourceRowsAndNoColumns) {
  Json p = ProfileTable(MakeTable({}));
  EXPECT_EQ(p, (Json{{"source", "t.csv"}, {"rows", 0}, {"columns", Json::array()}}));
}

TEST(ProfileTable, ColumnsWithNoRowsHaveNullStatisticsAndEmptyLists) {
  Table t = MakeTable({IntColumn("i", {}), FloatColumn("f", {}), StringColumn("s", {}),
                       TimestampColumn("ts", {}), BoolColumn("b", {})});
  Json p = ProfileTable(t);
  ASSERT_EQ(p["columns"].size(), 5u);
  for (const Json& c : p["columns"]) {
    EXPECT_EQ(c["count"], 0) << c["name"];
    EXPECT_EQ(c["missing"], 0) << c["name"];
    EXPECT_EQ(c["distinct"], 0) << c["name"];
    EXPECT_EQ(c["top"], Json::array()) << c["name"];
  }
  const Json& i = p["columns"][0];
  EXPECT_TRUE(i["min"].is_null() && i["max"].is_null() && i["mean"].is_null() &&
              i["std"].is_null());
  EXPECT_EQ(i["quantiles"], (Json{{"p25", nullptr}, {"p50", nullptr}, {"p75", nullptr}}));
  EXPECT_EQ(i["histogram"], (Json{{"edges", Json::array()}, {"counts", Json::array()}}));
  EXPECT_EQ(p["columns"][2]["mean_length"], nullptr);
  EXPECT_EQ(p["columns"][2]["pii"], Json::object());
  EXPECT_EQ(p["columns"][3]["min"], nullptr);
  EXPECT_EQ(p["columns"][4]["mean"], nullptr);
}

TEST(ProfileTable, AllMissingFloatColumnCountsOnlyMissing) {
  Json c = ProfileTable(MakeTable({FloatColumn("x", {std::nullopt, std::nullopt})}))["columns"][0];
  EXPECT_EQ(c["type"], "float");
  EXPECT_EQ(c["count"], 0);
  EXPECT_EQ(c["missing"], 2);
  EXPECT_EQ(c["distinct"], 0);
  EXPECT_EQ(c["nan"], 0);
  EXPECT_EQ(c["inf"], 0);
  EXPECT_EQ(c["min"], nullptr);
  EXPECT_EQ(c["histogram"]["counts"], Json::array());
}

TEST(ProfileTable, SingleRowHasOneBinAndZeroStd) {
  Json c = ProfileTable(MakeTable({IntColumn("n", {7})}))["columns"][0];
  EXPECT_EQ(c["min"], 7);
  EXPECT_EQ(c["max"], 7);
  EXPECT_EQ(c["mean"], 7.0);
  EXPECT_EQ(c["std"], 0.0);
  EXPECT_EQ(c["quantiles"], (Json{{"p25", 7.0}, {"p50", 7.0}, {"p75", 7.0}}));
  EXPECT_EQ(c["histogram"], (Json{{"edges", {7.0, 7.0}}, {"counts", {1}}}));
  EXPECT_EQ(c["top"], Top({{"7", 1}}));
}

TEST(ProfileTable, IntStatisticsMatchHandComputedValues) {
  // Mean 5, population std 2; quantiles at ranks 1.75, 3.5, 5.25 of the sorted values.
  Table t = MakeTable({IntColumn("n", {9, 4, std::nullopt, 2, 5, 4, 7, 5, 4})});
  Json c = ProfileTable(t)["columns"][0];
  EXPECT_EQ(c["count"], 8);
  EXPECT_EQ(c["missing"], 1);
  EXPECT_EQ(c["distinct"], 5);
  EXPECT_EQ(c["min"], 2);
  EXPECT_EQ(c["max"], 9);
  EXPECT_DOUBLE_EQ(c["mean"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(c["std"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(c["quantiles"]["p25"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(c["quantiles"]["p50"].get<double>(), 4.5);
  EXPECT_DOUBLE_EQ(c["quantiles"]["p75"].get<double>(), 5.5);
  // Ties in count are listed by ascending value.
  EXPECT_EQ(c["top"], Top({{"4", 3}, {"5", 2}, {"2", 1}, {"7", 1}, {"9", 1}}));
  // Width 0.7 over [2, 9]: 4 in [3.4, 4.1), 5 in [4.8, 5.5), 7 in [6.9, 7.6), 9 in the closed last
  // bin.
  EXPECT_EQ(c["histogram"]["counts"], (Json{1, 0, 3, 0, 2, 0, 0, 1, 0, 1}));
  const Json& edges = c["histogram"]["edges"];
  ASSERT_EQ(edges.size(), 11u);
  for (size_t i = 0; i < 11; ++i) {
    EXPECT_NEAR(edges[i].get<double>(), 2.0 + 0.7 * static_cast<double>(i), 1e-12);
  }
  EXPECT_EQ(edges[0].get<double>(), 2.0);
  EXPECT_EQ(edges[10].get<double>(), 9.0);
}

TEST(ProfileTable, ValuesOnBinEdgesGoToTheBinTheyStart) {
  std::vector<std::optional<int64_t>> v;
  for (int64_t i = 0; i <= 10; ++i) v.push_back(i);
  Json c = ProfileTable(MakeTable({IntColumn("n", v)}))["columns"][0];
  EXPECT_EQ(c["histogram"]["counts"], (Json{1, 1, 1, 1, 1, 1, 1, 1, 1, 2}));
  ProfileOptions three_bins;
  three_bins.histogram_bins = 3;
  c = ProfileTable(MakeTable({IntColumn("n", v)}), three_bins)["columns"][0];
  // Edges 0, 10/3, 20/3, 10.
  EXPECT_EQ(c["histogram"]["counts"], (Json{4, 3, 4}));
}

TEST(ProfileTable, FloatNaNAndInfAreCountedApartFromFiniteStatistics) {
  Table t = MakeTable({FloatColumn("x", {1.5, kNaN, kInf, -kInf, 2.5, kNaN, -0.0, 0.0})});
  Json c = ProfileTable(t)["columns"][0];
  EXPECT_EQ(c["count"], 8);
  EXPECT_EQ(c["nan"], 2);
  EXPECT_EQ(c["inf"], 2);
  // Finite values 0, 0, 1.5, 2.5: mean 1, variance (1 + 1 + 0.25 + 2.25) / 4.
  EXPECT_EQ(c["min"], 0.0);
  EXPECT_EQ(c["max"], 2.5);
  EXPECT_DOUBLE_EQ(c["mean"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(c["std"].get<double>(), std::sqrt(1.125));
  EXPECT_EQ(c["histogram"]["counts"].size(), 10u);
  EXPECT_EQ(c["histogram"]["counts"][0], 2);
  EXPECT_EQ(c["histogram"]["counts"][9], 1);
  // 0 and -0 are one value, the NaNs another; ties by value with NaN last.
  EXPECT_EQ(c["distinct"], 6);
  EXPECT_EQ(c["top"], Top({{"0", 2}, {"nan", 2}, {"-inf", 1}, {"1.5", 1}, {"2.5", 1}, {"inf", 1}}));
  EXPECT_NO_THROW((void)c.dump());
}

TEST(ProfileTable, OnlyNonFiniteFloatsLeaveStatisticsNull) {
  Json c = ProfileTable(MakeTable({FloatColumn("x", {kNaN, kInf})}))["columns"][0];
  EXPECT_EQ(c["nan"], 1);
  EXPECT_EQ(c["inf"], 1);
  EXPECT_EQ(c["min"], nullptr);
  EXPECT_EQ(c["mean"], nullptr);
  EXPECT_EQ(c["histogram"]["edges"], Json::array());
}

TEST(ProfileTable, ExtremeFloatsGiveFiniteEdgesAndEveryValueABin) {
  const double max = std::numeric_limits<double>::max();
  Json c = ProfileTable(MakeTable({FloatColumn("x", {-max, 0, max})}))["columns"][0];
  const Json& edges = c["histogram"]["edges"];
  ASSERT_EQ(edges.size(), 11u);
  for (const Json& e : edges) EXPECT_TRUE(std::isfinite(e.get<double>()));
  EXPECT_EQ(edges[0].get<double>(), -max);
  EXPECT_EQ(edges[10].get<double>(), max);
  EXPECT_EQ(c["histogram"]["counts"], (Json{1, 0, 0, 0, 0, 1, 0, 0, 0, 1}));
}

TEST(ProfileTable, BoolMeanIsTheShareOfTrue) {
  Json c =
      ProfileTable(MakeTable({BoolColumn("b", {true, false, true, std::nullopt})}))["columns"][0];
  EXPECT_EQ(c["type"], "bool");
  EXPECT_EQ(c["count"], 3);
  EXPECT_DOUBLE_EQ(c["mean"].get<double>(), 2.0 / 3.0);
  EXPECT_EQ(c["top"], Top({{"true", 2}, {"false", 1}}));
  EXPECT_FALSE(c.contains("histogram"));
}

TEST(ProfileTable, TimestampsReportIsoMinMaxAndQuantiles) {
  Table t = MakeTable({TimestampColumn(
      "ts", {"2024-01-03", "2024-01-01", std::nullopt, "2024-01-02", "2024-01-01"})});
  Json c = ProfileTable(t)["columns"][0];
  EXPECT_EQ(c["type"], "timestamp");
  EXPECT_EQ(c["min"], "2024-01-01T00:00:00Z");
  EXPECT_EQ(c["max"], "2024-01-03T00:00:00Z");
  // Sorted: 01, 01, 02, 03 → ranks 0.75, 1.5, 2.25.
  EXPECT_EQ(c["quantiles"]["p25"], "2024-01-01T00:00:00Z");
  EXPECT_EQ(c["quantiles"]["p50"], "2024-01-01T12:00:00Z");
  EXPECT_EQ(c["quantiles"]["p75"], "2024-01-02T06:00:00Z");
  EXPECT_EQ(
      c["top"],
      Top({{"2024-01-01T00:00:00Z", 2}, {"2024-01-02T00:00:00Z", 1}, {"2024-01-03T00:00:00Z", 1}}));
  EXPECT_FALSE(c.contains("mean"));
}

TEST(ProfileTable, StringLengthsDistinctAndTopWithTiesByValue) {
  Table t = MakeTable({StringColumn("s", {"ccc", "a", std::nullopt, "bb", "a"})});
  Json c = ProfileTable(t)["columns"][0];
  EXPECT_EQ(c["count"], 4);
  EXPECT_EQ(c["missing"], 1);
  EXPECT_EQ(c["distinct"], 3);
  EXPECT_DOUBLE_EQ(c["mean_length"].get<double>(), 7.0 / 4.0);
  EXPECT_EQ(c["max_length"], 3);
  EXPECT_EQ(c["top"], Top({{"a", 2}, {"bb", 1}, {"ccc", 1}}));
  ProfileOptions two;
  two.top_values = 2;
  EXPECT_EQ(ProfileTable(t, two)["columns"][0]["top"], Top({{"a", 2}, {"bb", 1}}));
}

TEST(ProfileTable, ManyDistinctStringsGiveTheSameCountsAsFewDo) {
  // Past the hashed path's limit (65536 distinct values) the column is
  // sorted whole; "dup-*" values repeat so that the top list is known.
  std::vector<testing::OptString> cells;
  for (int i = 0; i < 70000; ++i) cells.push_back("u" + std::to_string(i));
  for (int i = 0; i < 5; ++i) cells.push_back("dup-b");
  for (int i = 0; i < 3; ++i) cells.push_back("dup-a");
  for (int i = 0; i < 3; ++i) cells.push_back("dup-c");
  Json c = ProfileTable(MakeTable({StringColumn("s", cells)}))["columns"][0];
  EXPECT_EQ(c["distinct"], 70003);
  EXPECT_EQ(c["top"][0]["value"], "dup-b");
  EXPECT_EQ(c["top"][0]["count"], 5);
  EXPECT_EQ(c["top"][1]["value"], "dup-a");  // count ties go to the smaller value
  EXPECT_EQ(c["top"][2]["value"], "dup-c");
  EXPECT_EQ(c["top"][3]["value"], "u0");
  EXPECT_EQ(c["top"][3]["count"], 1);
}

TEST(ProfileTable, VeryLongStringsAreMeasuredFullyButShownCutAtACharacter) {
  std::string euros;
  for (int i = 0; i < 350'000; ++i) euros += "€";  // 3 bytes each: 1,050,000 bytes
  Table t = MakeTable({StringColumn("s", {euros, euros + "x"})});
  Json c = ProfileTable(t)["columns"][0];
  EXPECT_EQ(c["max_length"], 1'050'001);
  EXPECT_EQ(c["distinct"], 2);
  std::string shown;
  for (int i = 0; i < 26; ++i) shown += "€";  // 78 bytes: a 27th would pass 80
  EXPECT_EQ(c["top"][0]["value"], shown + "…");
  EXPECT_EQ(c["top"][1]["value"], shown + "…");
}

TEST(ProfileTable, CountsPiiCellsPerKindInStringColumns) {
  Table t = MakeTable({StringColumn("contact", {"jane@example.com", "call 415-555-0132",
                                                "bob@example.org", std::nullopt, "none"})});
  Json c = ProfileTable(t)["columns"][0];
  EXPECT_EQ(c["pii"], (Json{{"email", 2}, {"phone", 1}}));
  ProfileOptions no_scan;
  no_scan.scan_pii = false;
  EXPECT_FALSE(ProfileTable(t, no_scan)["columns"][0].contains("pii"));
}

TEST(ProfileTable, RowOrderDoesNotChangeTheOutput) {
  Table a = MakeTable({FloatColumn("x", {0.1, 0.2, 0.3, kNaN, 1e10, 0.1}),
                       StringColumn("s", {"b", "a", "b", "c", std::nullopt, "a"})});
  Table b = MakeTable({FloatColumn("x", {1e10, 0.1, kNaN, 0.3, 0.1, 0.2}),
                       StringColumn("s", {std::nullopt, "a", "c", "b", "a", "b"})});
  EXPECT_EQ(ProfileTable(a).dump(), ProfileTable(b).dump());
}

}  // namespace
}  // namespace citadel::data
