// The plain number parsers against std::from_chars: every literal they take
// gives from_chars' value bit for bit, and every literal of their grammar
// that from_chars reads whole is taken.
#include "data/ingest/cells/plain_number.h"

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>

#include "base/random.h"

namespace citadel::data {
namespace {

// The field at the start of a buffer of kPlainNumberReadBytes or more, the
// rest filled with `filler` (digits by default: bytes after the field must
// not leak into its value).
std::string Padded(std::string_view field, char filler = '7') {
  std::string buffer(field);
  buffer.resize(field.size() + kPlainNumberReadBytes, filler);
  return buffer;
}

std::optional<double> Plain(std::string_view field, char filler = '7') {
  std::string buffer = Padded(field, filler);
  double value = 0;
  if (!ParsePlainDouble(buffer.data(), field.size(), value)) return std::nullopt;
  return value;
}

std::optional<int64_t> PlainInt(std::string_view field) {
  std::string buffer = Padded(field);
  int64_t value = 0;
  if (!ParsePlainInt64(buffer.data(), field.size(), value)) return std::nullopt;
  return value;
}

// from_chars' double when it reads the whole text.
std::optional<double> Reference(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

uint64_t Bits(double d) { return std::bit_cast<uint64_t>(d); }

TEST(PlainNumber, TakesPlainDecimalsWithTheirExactValues) {
  struct Case {
    const char* text;
    double value;
  };
  const Case cases[] = {{"0", 0.0},
                        {"7", 7.0},
                        {"-812.0412", -812.0412},
                        {"0.3177", 0.3177},
                        {"5.", 5.0},
                        {".5", 0.5},
                        {"-.5", -0.5},
                        {"00.10", 0.1},
                        {"123456789012345", 123456789012345.0},
                        {"0.00000000000001", 1e-14},
                        {"99999999.9999999", 99999999.9999999}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    std::optional<double> got = Plain(c.text);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(Bits(*got), Bits(c.value));
  }
}

TEST(PlainNumber, MinusZeroKeepsItsSign) {
  std::optional<double> d = Plain("-0.000");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(Bits(*d), Bits(-0.0));
  EXPECT_EQ(Bits(*Plain("0.0")), Bits(0.0));
  EXPECT_EQ(PlainInt("-0"), 0);
}

TEST(PlainNumber, LeavesEverythingElseToTheGeneralRule) {
  for (const char* text : {"",
                           "-",
                           ".",
                           "-.",
                           "1.2.3",
                           "--1",
                           "1-",
                           "+1",
                           " 1",
                           "1 ",
                           "1e5",
                           "1E5",
                           "0x10",
                           "inf",
                           "nan",
                           "1,5",
                           "1\r",
                           "1234567890123456",  // 16 digits: maybe inexact
                           "0.0000000000000001",
                           "12345678901234567",
                           "-123456789012345.6"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(Plain(text).has_value());
  }
  EXPECT_FALSE(PlainInt("1.5").has_value());
  EXPECT_FALSE(PlainInt("5.").has_value());
  EXPECT_FALSE(PlainInt("").has_value());
  EXPECT_FALSE(PlainInt("-").has_value());
  EXPECT_FALSE(PlainInt("12345678901234567").has_value());  // over 16 bytes
}

TEST(PlainNumber, BytesAfterTheFieldDoNotMatter) {
  for (char filler : {'0', '9', '.', '-', ',', '\n', '\0', 'e'}) {
    SCOPED_TRACE(static_cast<int>(filler));
    EXPECT_EQ(Plain("-1.25", filler), -1.25);
    EXPECT_EQ(Plain("31", filler), 31.0);
    EXPECT_EQ(Plain("12345678.1234567", filler), 12345678.1234567);
  }
}

// A literal drawn from around the grammar: mostly plain decimals of 0 to 17
// digits (leading zeros, a point anywhere), sometimes with a byte that makes
// it something else.
std::string RandomLiteral(SeededRng& rng) {
  std::string s;
  if (rng.Below(3) == 0) s += '-';
  const size_t whole = rng.Below(10) == 0 ? rng.Below(18) : rng.Below(9);
  const size_t fraction = rng.Below(10) == 0 ? rng.Below(18) : rng.Below(9);
  for (size_t i = 0; i < whole; ++i) s += static_cast<char>('0' + rng.Below(rng.Below(4) ? 10 : 1));
  if (rng.Below(4) != 0) s += '.';
  for (size_t i = 0; i < fraction; ++i) s += static_cast<char>('0' + rng.Below(10));
  if (rng.Below(20) == 0 && !s.empty()) {
    static const char kOther[] = {'e', '+', '-', '.', ' ', 'x', '\r', '/', ':'};
    s[rng.Below(s.size())] = kOther[rng.Below(sizeof(kOther))];
  }
  return s;
}

// Plain decimal of at most 15 digits and 16 bytes, by a regular expression
// in code: what the fast path must take.
bool InGrammar(std::string_view s) {
  size_t i = s.starts_with('-') ? 1 : 0;
  size_t digits = 0;
  size_t points = 0;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      ++digits;
    } else if (s[i] == '.') {
      ++points;
    } else {
      return false;
    }
  }
  return digits >= 1 && digits <= 15 && points <= 1 && s.size() <= kPlainFieldMaxBytes;
}

TEST(PlainNumber, SeededLiteralsParseBitIdenticallyToFromChars) {
  SeededRng rng(20261126);
  size_t taken = 0;
  for (int i = 0; i < 200000; ++i) {
    const std::string s = RandomLiteral(rng);
    SCOPED_TRACE(s);
    std::optional<double> got = Plain(s, static_cast<char>('0' + rng.Below(10)));
    std::optional<double> want = Reference(s);
    ASSERT_EQ(got.has_value(), InGrammar(s));
    if (!got) continue;
    ++taken;
    ASSERT_TRUE(want.has_value());
    ASSERT_EQ(Bits(*got), Bits(*want));
  }
  EXPECT_GT(taken, 100000u);  // the draw mostly exercises the fast path
}

TEST(PlainNumber, SeededIntegersParseLikeFromChars) {
  SeededRng rng(7);
  for (int i = 0; i < 100000; ++i) {
    std::string s = rng.Below(2) ? "-" : "";
    const size_t digits = 1 + rng.Below(17);
    for (size_t k = 0; k < digits; ++k) s += static_cast<char>('0' + rng.Below(10));
    SCOPED_TRACE(s);
    std::optional<int64_t> got = PlainInt(s);
    ASSERT_EQ(got.has_value(), digits <= 15);
    if (!got) continue;
    int64_t want = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), want);
    ASSERT_TRUE(ec == std::errc() && end == s.data() + s.size());
    ASSERT_EQ(*got, want);
  }
}

}  // namespace
}  // namespace citadel::data
