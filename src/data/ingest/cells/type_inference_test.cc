// Type inference and declared schemas, through the CSV reader (one column
// per case, so each case reads like the file it describes).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "data/ingest/input_spec.h"

namespace citadel::data {
namespace {

Result<Table> Csv(std::string_view text, const InputSpec& spec = {}) {
  return ParseCsvTable(text, "t.csv", spec);
}

// One column "x" of `cells` under a header; each cell on its own line. An
// empty cell is written "" since an empty line is no record.
std::string OneColumn(const std::vector<std::string>& cells) {
  std::string text = "x\n";
  for (const std::string& c : cells) text += (c.empty() ? "\"\"" : c) + "\n";
  return text;
}

using Cell = std::variant<std::monostate, int64_t, double, std::string>;  // monostate = missing
constexpr std::monostate kMissing;

void ExpectCells(const Column& c, const std::vector<Cell>& expected, const std::string& what) {
  ASSERT_EQ(c.size(), expected.size()) << what;
  for (size_t r = 0; r < expected.size(); ++r) {
    const Cell& e = expected[r];
    if (std::holds_alternative<std::monostate>(e)) {
      EXPECT_FALSE(c.is_valid(r)) << what << " row " << r;
      continue;
    }
    ASSERT_TRUE(c.is_valid(r)) << what << " row " << r;
    if (const int64_t* i = std::get_if<int64_t>(&e)) {
      EXPECT_EQ(c.ints[r], *i) << what << " row " << r;
    }
    if (const double* f = std::get_if<double>(&e)) {
      if (std::isnan(*f)) {
        EXPECT_TRUE(std::isnan(c.floats[r])) << what << " row " << r;
      } else {
        EXPECT_EQ(c.floats[r], *f) << what << " row " << r;
      }
    }
    if (const std::string* s = std::get_if<std::string>(&e)) {
      EXPECT_EQ(c.strings[r], *s) << what << " row " << r;
    }
  }
}

struct InferenceCase {
  const char* name;
  std::vector<std::string> cells;
  ColumnType type;
  std::vector<Cell> expected;
};

TEST(TypeInference, PicksTheNarrowestTypeThatFitsEveryPresentCell) {
  const double inf = std::numeric_limits<double>::infinity();
  const InferenceCase cases[] = {
      {"ints",
       {"1", "2", "-3", "007"},
       ColumnType::kInt,
       {int64_t{1}, int64_t{2}, int64_t{-3}, int64_t{7}}},
      {"int then float widens", {"1", "2.5"}, ColumnType::kFloat, {1.0, 2.5}},
      {"float then int stays float", {"1.5", "2"}, ColumnType::kFloat, {1.5, 2.0}},
      {"scientific", {"1e3", "-2.5E-1"}, ColumnType::kFloat, {1000.0, -0.25}},
      {"infinities", {"inf", "-inf", "Infinity", "1"}, ColumnType::kFloat, {inf, -inf, inf, 1.0}},
      {"int64 max stays int",
       {"9223372036854775807", "-9223372036854775808"},
       ColumnType::kInt,
       {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}},
      {"beyond int64 is float",
       {"9223372036854775808", "1"},
       ColumnType::kFloat,
       {9223372036854775808.0, 1.0}},
      {"beyond double is inf or zero",
       {"1e999", "-1e999", "1e-999"},
       ColumnType::kFloat,
       {inf, -inf, 0.0}},
      {"bools in any case",
       {"true", "FALSE", "True"},
       ColumnType::kBool,
       {int64_t{1}, int64_t{0}, int64_t{1}}},
      {"zero and one are ints",
       {"0", "1", "1"},
       ColumnType::kInt,
       {int64_t{0}, int64_t{1}, int64_t{1}}},
      {"timestamps",
       {"2024-01-02", "2024-01-03T04:05:06Z", "1970-01-01T00:00+01:00"},
       ColumnType::kTimestamp,
       {int64_t{1704153600000000}, int64_t{1704254706000000}, int64_t{-3600000000}}},
      {"text", {"a", "1"}, ColumnType::kString, {std::string("a"), std::string("1")}},
      {"int then text keeps the ints' text",
       {"1", "01", "a"},
       ColumnType::kString,
       {std::string("1"), std::string("01"), std::string("a")}},
      {"float then text keeps the float's text",
       {"1.50", "x"},
       ColumnType::kString,
       {std::string("1.50"), std::string("x")}},
      {"bool then number is text",
       {"true", "1"},
       ColumnType::kString,
       {std::string("true"), std::string("1")}},
      {"timestamp then text",
       {"2024-01-02", "soon"},
       ColumnType::kString,
       {std::string("2024-01-02"), std::string("soon")}},
      {"all missing is float",
       {"", "NA", "null"},
       ColumnType::kFloat,
       {kMissing, kMissing, kMissing}},
      {"missing tokens among ints",
       {"3", "", "NA", "N/A", "NaN", "nan", "None", "NULL", "4"},
       ColumnType::kInt,
       {int64_t{3}, kMissing, kMissing, kMissing, kMissing, kMissing, kMissing, kMissing,
        int64_t{4}}},
      {"spaces and a plus sign",
       {" 7 ", "+8", "\t-9"},
       ColumnType::kInt,
       {int64_t{7}, int64_t{8}, int64_t{-9}}},
      {"text keeps its spaces",
       {" a ", "b"},
       ColumnType::kString,
       {std::string(" a "), std::string("b")}},
      {"a lone sign is text",
       {"-", "+"},
       ColumnType::kString,
       {std::string("-"), std::string("+")}},
      {"hex is text", {"0x10"}, ColumnType::kString, {std::string("0x10")}},
      {"quoted numbers are numbers",
       {"\"12\"", "\"-3\""},
       ColumnType::kInt,
       {int64_t{12}, int64_t{-3}}},
      {"quoted text with the delimiter",
       {"\"1,5\"", "2"},
       ColumnType::kString,
       {std::string("1,5"), std::string("2")}},
      {"missing before the first value",
       {"", "", "2.5"},
       ColumnType::kFloat,
       {kMissing, kMissing, 2.5}},
      {"missing cells of a column that became text",
       {"1", "", "b"},
       ColumnType::kString,
       {std::string("1"), kMissing, std::string("b")}},
  };
  for (const InferenceCase& c : cases) {
    auto t = Csv(OneColumn(c.cells));
    ASSERT_TRUE(t.ok()) << c.name << ": " << t.status();
    ASSERT_EQ(t->num_columns(), 1u) << c.name;
    EXPECT_EQ(t->columns[0].type, c.type) << c.name;
    ExpectCells(t->columns[0], c.expected, c.name);
  }
}

TEST(TypeInference, ColumnsTurningIntoTextAtDifferentRowsKeepEveryEarlierText) {
  // b turns at row 2, d at row 4; a and c stay numeric; the re-read covers
  // rows 0..3 once and must give each turned column exactly its own text.
  auto t =
      Csv("a,b,c,d\n"
          "1,10,1.5,2024-01-02\n"
          "2,,2.5,2024-01-03\n"
          "3,x,3.5,\n"
          "4,\"q,\"\"r\"\"\",4.5,2024-01-05\n"
          "5,y,5.5,later\n");
  ASSERT_TRUE(t.ok()) << t.status();
  const Column& a = t->columns[0];
  const Column& b = t->columns[1];
  const Column& c = t->columns[2];
  const Column& d = t->columns[3];
  EXPECT_EQ(a.type, ColumnType::kInt);
  EXPECT_EQ(c.type, ColumnType::kFloat);
  ASSERT_EQ(b.type, ColumnType::kString);
  ASSERT_EQ(d.type, ColumnType::kString);
  ExpectCells(
      b, {std::string("10"), kMissing, std::string("x"), std::string("q,\"r\""), std::string("y")},
      "b");
  ExpectCells(d,
              {std::string("2024-01-02"), std::string("2024-01-03"), kMissing,
               std::string("2024-01-05"), std::string("later")},
              "d");
  EXPECT_EQ(b.sources, std::vector<std::string>{"b"});
}

TEST(TypeInference, MissingValuesCanBeReplaced) {
  InputSpec spec;
  spec.missing_values = {"-999", "?"};
  auto t = Csv("x,y\n5,a\n-999,?\n7,\n", spec);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->columns[0].type, ColumnType::kInt);
  ExpectCells(t->columns[0], {int64_t{5}, kMissing, int64_t{7}}, "x");
  // "" is no longer missing: an empty string is text.
  ExpectCells(t->columns[1], {std::string("a"), kMissing, std::string("")}, "y");
}

TEST(TypeInference, NanIsAValueWhenItIsNotAMissingToken) {
  InputSpec spec;
  spec.missing_values = {""};
  auto t = Csv("x\nnan\n1\n\n", spec);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->columns[0].type, ColumnType::kFloat);
  ExpectCells(t->columns[0], {std::numeric_limits<double>::quiet_NaN(), 1.0}, "x");
}

TEST(TypeInference, VeryLongTextCellsAreKeptWhole) {
  std::string long_text(1 << 20, 'z');
  auto t = Csv("id,note\n1," + long_text + "\n2,short\n");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->columns[1].type, ColumnType::kString);
  EXPECT_EQ(t->columns[1].strings[0], long_text);
}

TEST(DeclaredSchema, ConvertsDeclaredColumnsAndInfersTheRest) {
  InputSpec spec;
  spec.schema = {{"code", ColumnType::kString},
                 {"score", ColumnType::kFloat},
                 {"flag", ColumnType::kBool},
                 {"when", ColumnType::kTimestamp}};
  auto t =
      Csv("code,score,flag,when,n\n"
          "007,1,1,2024-01-02,5\n"
          "NA,2.5,false,,6\n"
          "x1,3,0,1970-01-01T00:00+01:00,7\n",
          spec);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->columns[0].type, ColumnType::kString);
  ExpectCells(t->columns[0], {std::string("007"), kMissing, std::string("x1")}, "code");
  EXPECT_EQ(t->columns[1].type, ColumnType::kFloat);
  ExpectCells(t->columns[1], {1.0, 2.5, 3.0}, "score");
  EXPECT_EQ(t->columns[2].type, ColumnType::kBool);
  ExpectCells(t->columns[2], {int64_t{1}, int64_t{0}, int64_t{0}}, "flag");
  EXPECT_EQ(t->columns[3].type, ColumnType::kTimestamp);
  ExpectCells(t->columns[3], {int64_t{1704153600000000}, kMissing, int64_t{-3600000000}}, "when");
  EXPECT_EQ(t->columns[4].type, ColumnType::kInt);
}

struct SchemaErrorCase {
  ColumnType declared;
  const char* cell;
  const char* type_name;
};

TEST(DeclaredSchema, ACellThatDoesNotConvertNamesFileLineColumnAndValue) {
  const SchemaErrorCase cases[] = {
      {ColumnType::kInt, "abc", "int"},
      {ColumnType::kInt, "1.0", "int"},
      {ColumnType::kInt, "9223372036854775808", "int"},
      {ColumnType::kFloat, "1,5", "float"},
      {ColumnType::kBool, "2", "bool"},
      {ColumnType::kBool, "yes", "bool"},
      {ColumnType::kTimestamp, "2024-13-01", "timestamp"},
      {ColumnType::kTimestamp, "12", "timestamp"},
  };
  for (const SchemaErrorCase& c : cases) {
    InputSpec spec;
    spec.schema = {{"age", c.declared}};
    // The bad cell is on line 3, after a good one on line 2 (quoted so that
    // "1,5" stays one field).
    std::string good = c.declared == ColumnType::kTimestamp ? "2024-01-01"
                       : c.declared == ColumnType::kBool    ? "true"
                                                            : "1";
    auto t = Csv("id,age\n1," + good + "\n2,\"" + c.cell + "\"\n", spec);
    ASSERT_FALSE(t.ok()) << c.cell;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    std::string want = std::string("t.csv:3: column 'age': expected ") + c.type_name + ", got '" +
                       c.cell + "'; fix the value, list it in input: missing_values";
    EXPECT_EQ(t.status().message().rfind(want, 0), 0u) << t.status().message();
  }
}

TEST(DeclaredSchema, ALongBadValueIsShortenedInTheMessage) {
  InputSpec spec;
  spec.schema = {{"age", ColumnType::kInt}};
  auto t = Csv("age\n" + std::string(1 << 19, '9') + "x\n", spec);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("got '" + std::string(40, '9') + "…'"), std::string::npos)
      << t.status().message().substr(0, 200);
  EXPECT_LT(t.status().message().size(), 400u);
}

TEST(DeclaredSchema, ADeclaredColumnMissingFromTheFileIsAnErrorListingTheColumns) {
  InputSpec spec;
  spec.schema = {{"agee", ColumnType::kInt}, {"id", ColumnType::kInt}};
  auto t = Csv("id,age\n1,2\n", spec);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(),
            "t.csv: column 'agee' in input: schema is not in the file; the columns are 'id', "
            "'age' (a file without a header names them col_0, col_1, …)");
}

TEST(DeclaredSchema, AppliesToAHeaderOnlyFile) {
  InputSpec spec;
  spec.schema = {{"b", ColumnType::kString}};
  auto t = Csv("a,b\n", spec);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->num_rows(), 0u);
  ASSERT_EQ(t->num_columns(), 2u);
  EXPECT_EQ(t->columns[0].type, ColumnType::kFloat);  // no present cell
  EXPECT_EQ(t->columns[1].type, ColumnType::kString);
  EXPECT_EQ(t->columns[1].size(), 0u);
}

}  // namespace
}  // namespace citadel::data
