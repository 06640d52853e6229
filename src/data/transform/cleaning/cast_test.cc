#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "data/testing/table_fixtures.h"
#include "data/transform/numeric/numeric_test_support.h"

namespace citadel::data {
namespace {

using numeric_test::BoolColumn;
using numeric_test::FailsWith;
using numeric_test::FitApply;
using numeric_test::TimestampColumn;
using testing::FloatColumn;
using testing::IntColumn;
using testing::MakeTable;
using testing::StringColumn;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr auto kNone = std::nullopt;
constexpr int64_t kDay = int64_t{86'400'000'000};  // µs

// Casts the one cell `text` to `to`; nullopt when it does not convert.
template <typename Get>
auto CastText(const std::string& text, std::string_view to, Get get)
    -> std::optional<decltype(get(std::declval<const Column&>()))> {
  Table t = MakeTable({StringColumn("s", {text})});
  Status s = FitApply(fmt::format("{{ op: cast, columns: s, to: {}, on_error: null }}", to), t);
  EXPECT_TRUE(s.ok()) << s;
  if (!s.ok() || !t.columns[0].is_valid(0)) return std::nullopt;
  return get(t.columns[0]);
}

std::optional<int64_t> TextToInt(const std::string& text) {
  return CastText(text, "int", [](const Column& c) { return c.ints[0]; });
}

TEST(Cast, StringToIntAcceptsIntegerLiteralsAndIntegralNumbers) {
  struct Case {
    std::string text;
    std::optional<int64_t> want;
  };
  for (const Case& c : std::vector<Case>{{"42", 42},
                                         {" -7\t", -7},
                                         {"+3", 3},
                                         {"007", 7},
                                         {"1e3", 1000},
                                         {"4.0", 4},
                                         {"9223372036854775807", INT64_MAX},
                                         {"-9223372036854775808", INT64_MIN},
                                         {"4.5", kNone},
                                         {"abc", kNone},
                                         {"", kNone},
                                         {"1e30", kNone},
                                         {"nan", kNone},
                                         {"9223372036854775808", kNone},
                                         {"+-3", kNone},
                                         {"1 000", kNone}}) {
    EXPECT_EQ(TextToInt(c.text), c.want) << "'" << c.text << "'";
  }
}

TEST(Cast, StringToFloatBoolAndTimestamp) {
  auto to_float = [](const std::string& s) {
    return CastText(s, "float", [](const Column& c) { return c.floats[0]; });
  };
  EXPECT_EQ(to_float("0.1"), 0.1);
  EXPECT_EQ(to_float(" 2.5e3 "), 2500.0);
  EXPECT_EQ(to_float("inf"), kNone);  // ParseNumber's rule: not a number
  EXPECT_EQ(to_float("1,5"), kNone);

  auto to_bool = [](const std::string& s) {
    return CastText(s, "bool", [](const Column& c) { return c.ints[0]; });
  };
  EXPECT_EQ(to_bool("TRUE"), 1);
  EXPECT_EQ(to_bool(" no "), 0);
  EXPECT_EQ(to_bool("1"), 1);
  EXPECT_EQ(to_bool("Yes"), 1);
  EXPECT_EQ(to_bool("2"), kNone);
  EXPECT_EQ(to_bool("maybe"), kNone);

  auto to_time = [](const std::string& s) {
    return CastText(s, "timestamp", [](const Column& c) { return c.ints[0]; });
  };
  EXPECT_EQ(to_time("1970-01-02"), kDay);
  EXPECT_EQ(to_time(" 1970-01-01T00:00:01+00:00 "), 1'000'000);
  EXPECT_EQ(to_time("2024-13-01"), kNone);
}

TEST(Cast, FloatToIntOnlyForIntegralValuesInRange) {
  Table t = MakeTable({FloatColumn("x", {3.0, -0.0, kNone, 2.5, kNaN, kInf, 1e19})});
  ASSERT_TRUE(FitApply("{ op: cast, columns: x, to: int, on_error: null }", t).ok());
  const Column& x = t.columns[0];
  ASSERT_EQ(x.type, ColumnType::kInt);
  EXPECT_EQ(x.ints[0], 3);
  EXPECT_EQ(x.ints[1], 0);
  for (size_t r = 2; r < 7; ++r) EXPECT_FALSE(x.is_valid(r)) << r;
}

TEST(Cast, NumbersToStringUseTheShortestRoundTripForm) {
  Table t = MakeTable({FloatColumn("f", {0.1, 1e300, kNaN, -kInf, kNone}),
                       IntColumn("i", {-12, 0, 5, 6, kNone}),
                       BoolColumn("b", {true, false, true, false, kNone}),
                       TimestampColumn("at", {0, kDay + 1, -1'000'000, 0, kNone})});
  ASSERT_TRUE(FitApply("{ op: cast, columns: [f, i, b, at], to: string }", t).ok());
  EXPECT_EQ(t.columns[0].strings, (std::vector<std::string>{"0.1", "1e+300", "nan", "-inf", ""}));
  EXPECT_EQ(t.columns[1].strings[0], "-12");
  EXPECT_EQ(t.columns[2].strings[1], "false");
  EXPECT_EQ(t.columns[3].strings[0], "1970-01-01T00:00:00Z");
  EXPECT_EQ(t.columns[3].strings[1], "1970-01-02T00:00:00.000001Z");
  EXPECT_EQ(t.columns[3].strings[2], "1969-12-31T23:59:59Z");
  for (const Column& c : t.columns) {
    EXPECT_EQ(c.type, ColumnType::kString);
    EXPECT_FALSE(c.is_valid(4)) << c.name;
  }
}

TEST(Cast, BoolIntFloatAndTimestampConvertAmongThemselves) {
  Table t = MakeTable({BoolColumn("b", {true, false}), IntColumn("i", {0, 1}),
                       TimestampColumn("at", {kDay, -5}), IntColumn("micros", {kDay, 7})});
  ASSERT_TRUE(FitApply("{ op: cast, columns: b, to: int }", t).ok());
  ASSERT_TRUE(FitApply("{ op: cast, columns: i, to: bool }", t).ok());
  ASSERT_TRUE(FitApply("{ op: cast, columns: at, to: float }", t).ok());
  ASSERT_TRUE(FitApply("{ op: cast, columns: micros, to: datetime }", t).ok());
  EXPECT_EQ(t.columns[0].type, ColumnType::kInt);
  EXPECT_EQ(t.columns[0].ints, (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(t.columns[1].type, ColumnType::kBool);
  EXPECT_EQ(t.columns[1].ints, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(t.columns[2].floats, (std::vector<double>{8.64e10, -5.0}));
  EXPECT_EQ(t.columns[3].type, ColumnType::kTimestamp);
  EXPECT_EQ(t.columns[3].CellText(0), "1970-01-02T00:00:00Z");

  Table back = MakeTable({TimestampColumn("at", {kDay}), BoolColumn("b", {true})});
  ASSERT_TRUE(FitApply("{ op: cast, columns: at, to: int }", back).ok());
  ASSERT_TRUE(FitApply("{ op: cast, columns: b, to: float }", back).ok());
  EXPECT_EQ(back.columns[0].ints[0], kDay);
  EXPECT_EQ(back.columns[1].floats[0], 1.0);
}

TEST(Cast, IntToBoolRefusesValuesOtherThanZeroAndOne) {
  Table t = MakeTable({IntColumn("flag", {1, 2})});
  EXPECT_TRUE(FailsWith(FitApply("{ op: cast, columns: flag, to: bool }", t),
                        {"t.csv:3", "column 'flag' value '2'", "from int to bool"}));
}

TEST(Cast, FailureNamesRowColumnAndValueAndLeavesTheTableUnchanged) {
  Table t = MakeTable({StringColumn("a", {"1", "2"}), StringColumn("b", {"3", "three"})});
  Status s = FitApply("{ op: cast, columns: [a, b], to: float }", t);
  EXPECT_TRUE(FailsWith(s, {"t.csv:3: cast: column 'b' value 'three'", "on_error: null"}));
  EXPECT_EQ(t.columns[0].type, ColumnType::kString);  // a was convertible, but nothing changed
  EXPECT_EQ(t.columns[1].strings[1], "three");
}

TEST(Cast, OnErrorNullMakesBadCellsMissingAndAcceptsABareYamlNull) {
  for (const char* spec : {"{ op: cast, columns: s, to: int, on_error: null }",
                           "{ op: cast, columns: s, to: int, on_error: 'null' }"}) {
    Table t = MakeTable({StringColumn("s", {"5", "x", kNone})});
    ASSERT_TRUE(FitApply(spec, t).ok()) << spec;
    EXPECT_EQ(t.columns[0].ints[0], 5);
    EXPECT_EQ(t.columns[0].CountMissing(), 2u);
  }
}

TEST(Cast, VeryLongStringIsShortenedInTheError) {
  const std::string huge(1 << 20, '9');
  Table t = MakeTable({StringColumn("s", {huge})});
  Status s = FitApply("{ op: cast, columns: s, to: int }", t);
  EXPECT_TRUE(FailsWith(s, {"'s'", "(1048576 bytes)"}));
  EXPECT_LT(s.message().size(), 400u);
  Table as_float = MakeTable({StringColumn("s", {huge})});
  ASSERT_TRUE(FitApply("{ op: cast, columns: s, to: float, on_error: null }", as_float).ok());
  EXPECT_FALSE(as_float.columns[0].is_valid(0));  // out of the double range
}

TEST(Cast, EmptyAllMissingAndSameTypeColumns) {
  Table empty = MakeTable({StringColumn("s", {})});
  ASSERT_TRUE(FitApply("{ op: cast, columns: s, to: int }", empty).ok());
  EXPECT_EQ(empty.columns[0].type, ColumnType::kInt);
  Table missing = MakeTable({StringColumn("s", {kNone, kNone})});
  ASSERT_TRUE(FitApply("{ op: cast, columns: s, to: timestamp }", missing).ok());
  EXPECT_EQ(missing.columns[0].type, ColumnType::kTimestamp);
  EXPECT_EQ(missing.columns[0].ints, (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(missing.columns[0].CountMissing(), 2u);
  Table same = MakeTable({IntColumn("i", {4})});
  ASSERT_TRUE(FitApply("{ op: cast, columns: i, to: integer }", same).ok());
  EXPECT_EQ(same.columns[0].ints[0], 4);
}

TEST(Cast, BoolAndTimestampDoNotConvertIntoEachOther) {
  Table t = MakeTable({BoolColumn("b", {true}), TimestampColumn("at", {0})});
  EXPECT_TRUE(FailsWith(FitApply("{ op: cast, columns: b, to: timestamp }", t),
                        {"'b' is bool", "no conversion to timestamp"}));
  EXPECT_TRUE(FailsWith(FitApply("{ op: cast, columns: at, to: bool }", t), {"'at'"}));
}

TEST(Cast, ServingColumnOfAnotherTypeIsRefusedNamingBothTypes) {
  auto reloaded = numeric_test::FitAndReload("{ op: cast, columns: zip, to: string }",
                                             MakeTable({IntColumn("zip", {10115})}));
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  Table serving = MakeTable({StringColumn("zip", {"10115"})});
  EXPECT_TRUE(FailsWith((*reloaded)->Apply(serving), {"'zip'", "is string here but was int"}));
  Table good = MakeTable({IntColumn("zip", {80331})});
  ASSERT_TRUE((*reloaded)->Apply(good).ok());
  EXPECT_EQ(good.columns[0].strings[0], "80331");
}

TEST(Cast, BadSpecsAreErrorsNamingTheField) {
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: cast, columns: x, to: complex }"),
                        {"unknown type 'complex'"}));
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: cast, columns: x }"), {"to"}));
  EXPECT_TRUE(FailsWith(testing::Transform("{ op: cast, columns: x, to: int, on_error: skip }"),
                        {"on_error", "fail or null"}));
  Json stored = {{"op", "cast"},
                 {"columns", "x"},
                 {"to", "bool"},
                 {"on_error", "fail"},
                 {"fitted", {{"columns", {"x"}}, {"types", {"timestamp"}}}}};
  EXPECT_TRUE(FailsWith(LoadFittedTransform(stored, {}, "schema.json"), {"schema.json"}));
}

}  // namespace
}  // namespace citadel::data
