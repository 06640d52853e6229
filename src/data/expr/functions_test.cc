#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "data/expr/expression.h"
#include "data/expr/test_columns.h"
#include "data/testing/table_fixtures.h"

namespace citadel::data {
namespace {

using testing::BoolColumn;
using testing::FloatColumn;
using testing::IntColumn;
using testing::MakeTable;
using testing::OptDouble;
using testing::OptString;
using testing::StringColumn;
using testing::TimestampColumn;
using OptInt = std::optional<int64_t>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
const OptInt N = std::nullopt;
const OptDouble ND = std::nullopt;

// Evaluates `text` and returns the column; fails the test on an error or
// when the result type differs from `type`.
Column Eval(std::string_view text, const Table& t, ColumnType type) {
  Result<Expression> e = ParseExpression(text);
  EXPECT_TRUE(e.ok()) << text << ": " << e.status();
  if (!e.ok()) return Column();
  Result<Column> c = Evaluate(*e, t, "out");
  EXPECT_TRUE(c.ok()) << text << ": " << c.status();
  if (!c.ok()) return Column();
  EXPECT_EQ(c->type, type) << text;
  return std::move(*c);
}

std::vector<OptDouble> Floats(std::string_view text, const Table& t) {
  Column c = Eval(text, t, ColumnType::kFloat);
  std::vector<OptDouble> out;
  for (size_t r = 0; r < c.size(); ++r) out.push_back(c.is_valid(r) ? OptDouble(c.floats[r]) : ND);
  return out;
}

std::vector<OptInt> Ints(std::string_view text, const Table& t, ColumnType type) {
  Column c = Eval(text, t, type);
  std::vector<OptInt> out;
  for (size_t r = 0; r < c.size(); ++r) out.push_back(c.is_valid(r) ? OptInt(c.ints[r]) : N);
  return out;
}

std::vector<OptString> Strings(std::string_view text, const Table& t) {
  Column c = Eval(text, t, ColumnType::kString);
  std::vector<OptString> out;
  for (size_t r = 0; r < c.size(); ++r) {
    out.push_back(c.is_valid(r) ? OptString(c.strings[r]) : std::nullopt);
  }
  return out;
}

std::string ErrorOf(std::string_view text, const Table& t) {
  Result<Expression> e = ParseExpression(text);
  if (!e.ok()) return e.status().message();
  Result<Column> c = Evaluate(*e, t, "out");
  return c.ok() ? "(no error)" : c.status().message();
}

Table Numbers() { return MakeTable({FloatColumn("x", {-1.5, 2.5, 9, std::nullopt})}); }

TEST(Functions, ElementaryMathOnEveryRow) {
  Table t = Numbers();
  EXPECT_EQ(Floats("abs(x)", t), (std::vector<OptDouble>{1.5, 2.5, 9, ND}));
  EXPECT_EQ(Floats("floor(x)", t), (std::vector<OptDouble>{-2, 2, 9, ND}));
  EXPECT_EQ(Floats("ceil(x)", t), (std::vector<OptDouble>{-1, 3, 9, ND}));
  EXPECT_EQ(Floats("round(x)", t), (std::vector<OptDouble>{-2, 3, 9, ND}));  // half away from 0
  EXPECT_EQ(Floats("pow(x, 2)", t), (std::vector<OptDouble>{2.25, 6.25, 81, ND}));
  EXPECT_EQ(Floats("sqrt(abs(x) * 4)", t),
            (std::vector<OptDouble>{std::sqrt(6.0), std::sqrt(10.0), 6, ND}));
  EXPECT_EQ(Floats("exp(0) + log(1) + log1p(0)", t), (std::vector<OptDouble>{1, 1, 1, 1}));
}

TEST(Functions, OutOfDomainArgumentsGiveNanOrInfinity) {
  Table t = MakeTable({FloatColumn("x", {-1, 0})});
  std::vector<OptDouble> sq = Floats("sqrt(x)", t);
  EXPECT_TRUE(std::isnan(*sq[0]));
  std::vector<OptDouble> lg = Floats("log(x)", t);
  EXPECT_TRUE(std::isnan(*lg[0]));
  EXPECT_EQ(*lg[1], -kInf);
  EXPECT_EQ(Floats("exp(x + 1000)", t), (std::vector<OptDouble>{kInf, kInf}));
}

TEST(Functions, RoundToDigits) {
  Table t = MakeTable({FloatColumn("x", {1.2345, 1250, -0.125})});
  EXPECT_EQ(Floats("round(x, 2)", t), (std::vector<OptDouble>{1.23, 1250, -0.13}));
  EXPECT_EQ(Floats("round(x, -2)", t), (std::vector<OptDouble>{0, 1300, -0.0}));
  // Beyond a double's range of scales the value is returned unchanged or 0.
  EXPECT_EQ(Floats("round(x, 400)", t), (std::vector<OptDouble>{1.2345, 1250, -0.125}));
  EXPECT_EQ(Floats("round(x, -400)", t), (std::vector<OptDouble>{0, 0, 0}));
}

TEST(Functions, MinMaxAndClipPropagateMissingAndNan) {
  Table t = MakeTable({FloatColumn("a", {3, 1, kNaN, 5, std::nullopt}),
                       IntColumn("b", {2, 4, 1, std::nullopt, 1})});
  EXPECT_EQ(Floats("min(a, b, 10)", t).at(0), 2);
  EXPECT_EQ(Floats("min(a, b, 10)", t).at(1), 1);
  EXPECT_TRUE(std::isnan(*Floats("min(a, b)", t).at(2)));
  EXPECT_TRUE(std::isnan(*Floats("max(b, a)", t).at(2)));  // NaN last, too
  EXPECT_EQ(Floats("max(a, b)", t).at(3), ND);
  EXPECT_EQ(Floats("max(a, b)", t).at(0), 3);
  EXPECT_EQ(Floats("max(b)", t).at(1), 4);

  Table c = MakeTable({FloatColumn("x", {-5, 5, 15, kNaN, std::nullopt})});
  std::vector<OptDouble> clipped = Floats("clip(x, 0, 10)", c);
  EXPECT_EQ(clipped[0], 0);
  EXPECT_EQ(clipped[1], 5);
  EXPECT_EQ(clipped[2], 10);
  EXPECT_TRUE(std::isnan(*clipped[3]));
  EXPECT_EQ(clipped[4], ND);
}

TEST(Functions, IsNullAndIsNanAreNeverMissing) {
  Table t = MakeTable({FloatColumn("x", {1, kNaN, std::nullopt}), IntColumn("i", {1, 2, 3})});
  EXPECT_EQ(Ints("is_null(x)", t, ColumnType::kBool), (std::vector<OptInt>{0, 0, 1}));
  EXPECT_EQ(Ints("is_nan(x)", t, ColumnType::kBool), (std::vector<OptInt>{0, 1, 0}));
  EXPECT_EQ(Ints("is_null(i)", t, ColumnType::kBool), (std::vector<OptInt>{0, 0, 0}));
  EXPECT_EQ(Ints("is_nan(i)", t, ColumnType::kBool), (std::vector<OptInt>{0, 0, 0}));
  EXPECT_EQ(Ints("is_null(null)", t, ColumnType::kBool), (std::vector<OptInt>{1, 1, 1}));
  EXPECT_EQ(Ints("is_null(x + i)", t, ColumnType::kBool), (std::vector<OptInt>{0, 0, 1}));
}

TEST(Functions, CoalesceTakesTheFirstPresentValueOfOneType) {
  Table t = MakeTable({IntColumn("a", {1, std::nullopt, std::nullopt}),
                       IntColumn("b", {10, 20, std::nullopt}),
                       StringColumn("s", {"x", std::nullopt, std::nullopt}),
                       TimestampColumn("ts", {"2020-01-02", std::nullopt, std::nullopt})});
  EXPECT_EQ(Ints("coalesce(a, b)", t, ColumnType::kInt), (std::vector<OptInt>{1, 20, N}));
  EXPECT_EQ(Ints("coalesce(a, b, 0)", t, ColumnType::kInt), (std::vector<OptInt>{1, 20, 0}));
  EXPECT_EQ(Floats("coalesce(a, 0.5)", t), (std::vector<OptDouble>{1, 0.5, 0.5}));
  EXPECT_EQ(Strings("coalesce(s, 'none')", t), (std::vector<OptString>{"x", "none", "none"}));
  EXPECT_EQ(Ints("coalesce(ts, '2020-01-01')", t, ColumnType::kTimestamp),
            (std::vector<OptInt>{testing::Micros("2020-01-02"), testing::Micros("2020-01-01"),
                                 testing::Micros("2020-01-01")}));
  EXPECT_EQ(Floats("coalesce(null, null)", t), (std::vector<OptDouble>{ND, ND, ND}));
  EXPECT_NE(ErrorOf("coalesce(s, 1)", t)
                .find("coalesce() needs arguments of one type; '1' (int) does not match column "
                      "'s' (string)"),
            std::string::npos);
}

TEST(Functions, IfChoosesTheElseBranchWhenTheConditionIsFalseOrMissing) {
  Table t = MakeTable({FloatColumn("x", {2, -1, std::nullopt}), IntColumn("i", {7, 8, 9})});
  EXPECT_EQ(Strings("if(x > 0, 'pos', 'neg')", t), (std::vector<OptString>{"pos", "neg", "neg"}));
  EXPECT_EQ(Floats("if(x > 0, x, null)", t), (std::vector<OptDouble>{2, ND, ND}));
  EXPECT_EQ(Ints("if(i > 7, i, 0)", t, ColumnType::kInt), (std::vector<OptInt>{0, 8, 9}));
  EXPECT_EQ(Floats("if(true, i, x)", t), (std::vector<OptDouble>{7, 8, 9}));
  EXPECT_NE(ErrorOf("if(x, 1, 2)", t).find("if() needs a condition (bool), got column 'x'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("if(x > 0, 'a', 1)", t).find("if() needs arguments of one type"),
            std::string::npos);
}

TEST(Functions, StringFunctions) {
  Table t = MakeTable({StringColumn("s", {"Straße", "", "AbC", std::nullopt})});
  EXPECT_EQ(Ints("length(s)", t, ColumnType::kInt), (std::vector<OptInt>{6, 0, 3, N}));
  EXPECT_EQ(Strings("upper(s)", t), (std::vector<OptString>{"STRAßE", "", "ABC", std::nullopt}));
  EXPECT_EQ(Strings("lower(s)", t), (std::vector<OptString>{"straße", "", "abc", std::nullopt}));
  EXPECT_EQ(Ints("contains(s, 'b')", t, ColumnType::kBool), (std::vector<OptInt>{0, 0, 1, N}));
  EXPECT_EQ(Ints("starts_with(s, 'Str')", t, ColumnType::kBool), (std::vector<OptInt>{1, 0, 0, N}));
  EXPECT_EQ(Ints("ends_with(s, '')", t, ColumnType::kBool), (std::vector<OptInt>{1, 1, 1, N}));
  EXPECT_EQ(Ints("contains('abc', s)", t, ColumnType::kBool), (std::vector<OptInt>{0, 1, 0, N}));
  EXPECT_NE(ErrorOf("length(5)", t).find("length() needs a string, got '5' (int)"),
            std::string::npos);
}

TEST(Functions, TimestampPartsInUtc) {
  // 2024-02-29 was a Thursday; 1969-12-31 a Wednesday (before the epoch:
  // negative microseconds must still floor to the right day and hour).
  Table t = MakeTable({TimestampColumn("ts", {"2024-02-29T13:45:00Z", "1969-12-31T23:00:00Z",
                                              "2021-01-03T00:30:00+01:00", std::nullopt})});
  EXPECT_EQ(Ints("year(ts)", t, ColumnType::kInt), (std::vector<OptInt>{2024, 1969, 2021, N}));
  EXPECT_EQ(Ints("month(ts)", t, ColumnType::kInt), (std::vector<OptInt>{2, 12, 1, N}));
  EXPECT_EQ(Ints("day(ts)", t, ColumnType::kInt), (std::vector<OptInt>{29, 31, 2, N}));
  EXPECT_EQ(Ints("hour(ts)", t, ColumnType::kInt), (std::vector<OptInt>{13, 23, 23, N}));
  // 2021-01-02 (UTC) was a Saturday.
  EXPECT_EQ(Ints("weekday(ts)", t, ColumnType::kInt), (std::vector<OptInt>{3, 2, 5, N}));
  EXPECT_EQ(Ints("year('2000-06-01')", t, ColumnType::kInt),
            (std::vector<OptInt>{2000, 2000, 2000, 2000}));
}

TEST(Functions, EpochSecondsAndDaysBetweenAreFractional) {
  Table t = MakeTable(
      {TimestampColumn(
           "a", {"1970-01-01T00:00:01.5Z", "1969-12-31T23:59:59.5Z", "2020-01-01", std::nullopt}),
       TimestampColumn("b", {"1970-01-02T12:00:01.5Z", "1970-01-01", "2020-03-01", "2020-01-01"})});
  EXPECT_EQ(Floats("epoch_seconds(a)", t), (std::vector<OptDouble>{1.5, -0.5, 1577836800, ND}));
  // 2020 is a leap year: 31 days of January + 29 of February.
  EXPECT_EQ(Floats("days_between(a, b)", t), (std::vector<OptDouble>{1.5, 0.5 / 86400, 60, ND}));
  std::vector<OptDouble> since = Floats("days_between('2020-01-01', b)", t);
  ASSERT_EQ(since.size(), 4u);
  // 1970-01-02T12:00:01.5Z is 1.5 days + 1.5 s after the epoch, 2020-01-01 18262 days.
  EXPECT_DOUBLE_EQ(*since[0], 1.5 - 18262 + 1.5 / 86400);
  EXPECT_EQ(since[1], -18262);
  EXPECT_EQ(since[2], 60);
  EXPECT_EQ(since[3], 0);
}

TEST(Functions, ArgumentTypeErrorsNameTheFunction) {
  Table t = MakeTable({StringColumn("s", {"a"}), IntColumn("i", {1}), BoolColumn("f", {true})});
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"sqrt(s)", "sqrt() needs a number, got column 's' (string)"},
      {"year(i)", "year() needs a timestamp, got column 'i' (int); declare the column's type"},
      {"year('soon')", "\"soon\" is used as a timestamp but is not one"},
      {"days_between(i, i)", "days_between() needs a timestamp"},
      {"lower(i)", "lower() needs a string, got column 'i' (int)"},
      {"contains(s, 1)", "contains() needs a string, got '1' (int)"},
      {"is_nan(s)", "is_nan() needs a number"},
      {"min(s, 1)", "min() needs a number"},
  };
  for (const auto& [text, says] : cases) {
    std::string m = ErrorOf(text, t);
    EXPECT_NE(m.find(says), std::string::npos) << text << " → " << m;
  }
  // bool counts as a number (0 / 1).
  EXPECT_EQ(Floats("f + 1", t), (std::vector<OptDouble>{2}));
}

}  // namespace
}  // namespace citadel::data
