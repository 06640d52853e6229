#include <gtest/gtest.h>

#include <sstream>

#include "data/profile/table_profile.h"
#include "data/testing/table_fixtures.h"

namespace citadel::data {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A profile written by hand, so the expected text does not depend on ProfileTable.
Json HandProfile() {
  return Json::parse(R"({
    "source": "customers.csv", "rows": 8,
    "columns": [
      {"name": "age", "type": "int", "count": 6, "missing": 2, "distinct": 5,
       "min": 18, "max": 90, "mean": 41.25, "top": [{"value": "34", "count": 2}]},
      {"name": "email", "type": "string", "count": 8, "missing": 0, "distinct": 8,
       "top": [{"value": "a@example.com", "count": 1}], "pii": {"email": 8, "phone": 1}},
      {"name": "note", "type": "string", "count": 8, "missing": 0, "distinct": 1,
       "top": [{"value": "x", "count": 8}], "pii": {}}
    ]})");
}

TEST(FormatProfile, PrintsAHeaderOneAlignedLinePerColumnAndPiiWarnings) {
  std::vector<std::string> lines = Lines(FormatProfile(HandProfile()));
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0], "customers.csv: 8 rows, 3 columns");
  EXPECT_EQ(lines[1].find("column  type"), 0u) << lines[1];
  // Every row starts its type, missing, … cells at the header's offsets.
  for (const char* field : {"type", "min", "max", "mean", "top"}) {
    size_t at = lines[1].find(field);
    ASSERT_NE(at, std::string::npos) << field;
    EXPECT_NE(lines[2][at], ' ') << field << " in " << lines[2];
    EXPECT_EQ(lines[2][at - 1], ' ') << field << " in " << lines[2];
  }
  EXPECT_NE(lines[2].find(" 25.0% "), std::string::npos) << lines[2];  // 2 of 8 missing
  EXPECT_NE(lines[2].find("41.25"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("34 (2)"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find("a@example.com (1)"), std::string::npos) << lines[3];
  EXPECT_EQ(lines[5],
            "warning: column 'email' holds PII (email in 8 cells, phone in 1 cell); drop it, "
            "hash it or mask it before export");
}

TEST(FormatProfile, CutsLongCellsAndBlanksControlCharacters) {
  Json p = HandProfile();
  p["columns"][0]["name"] = std::string(100, 'n');
  p["columns"][0]["top"][0]["value"] = "line one\nline two " + std::string(200, 'v');
  std::vector<std::string> lines = Lines(FormatProfile(p));
  ASSERT_EQ(lines.size(), 6u) << "a newline in a value must not add a line";
  EXPECT_EQ(lines[2].find(std::string(31, 'n') + "…"), 0u) << lines[2];
  EXPECT_NE(lines[2].find("line one line two"), std::string::npos) << lines[2];
  EXPECT_LT(lines[2].size(), 200u);
}

TEST(FormatProfile, FormatsWhatProfileTableProducesIncludingEmptyTables) {
  Table t = testing::MakeTable({testing::FloatColumn("x", {1, std::nullopt})});
  std::vector<std::string> lines = Lines(FormatProfile(ProfileTable(t)));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "t.csv: 2 rows, 1 columns");
  EXPECT_NE(lines[2].find(" 50.0% "), std::string::npos) << lines[2];

  Table empty = testing::MakeTable({testing::FloatColumn("x", {})});
  lines = Lines(FormatProfile(ProfileTable(empty)));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[2].find(" - "), std::string::npos) << "no rows: no missing share";
}

TEST(FormatProfile, ToleratesMalformedJson) {
  EXPECT_EQ(FormatProfile(Json::array()), "(table): 0 rows, 0 columns\n");
  EXPECT_EQ(FormatProfile(Json(3)), "(table): 0 rows, 0 columns\n");
  Json odd = {{"rows", "many"},
              {"columns", {1, "x", Json{{"name", 5}, {"pii", {{"email", "a"}}}}}}};
  std::string text;
  EXPECT_NO_THROW(text = FormatProfile(odd));
  EXPECT_EQ(Lines(text).size(), 5u);  // title, header, three rows, no PII warning
}

}  // namespace
}  // namespace citadel::data
