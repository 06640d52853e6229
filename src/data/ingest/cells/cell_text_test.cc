#include "data/ingest/cells/cell_text.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <string>

#include "base/random.h"

namespace citadel::data {
namespace {

// The fast paths must agree with std::from_chars bit for bit: same end, same
// error, same value.
void ExpectSameAsStd(const std::string& text) {
  const char* first = text.data();
  const char* last = text.data() + text.size();
  double ours = 0, theirs = 0;
  auto a = FromCharsDouble(first, last, ours);
  auto b = std::from_chars(first, last, theirs);
  EXPECT_EQ(a.ptr, b.ptr) << "'" << text << "'";
  EXPECT_EQ(a.ec, b.ec) << "'" << text << "'";
  if (a.ec == std::errc() && b.ec == std::errc()) {
    EXPECT_EQ(std::memcmp(&ours, &theirs, sizeof ours), 0)
        << "'" << text << "': " << ours << " vs " << theirs;
  }
  int64_t ours_int = 0, theirs_int = 0;
  auto c = FromCharsInt64(first, last, ours_int);
  auto d = std::from_chars(first, last, theirs_int);
  EXPECT_EQ(c.ptr, d.ptr) << "'" << text << "'";
  EXPECT_EQ(c.ec, d.ec) << "'" << text << "'";
  if (c.ec == std::errc()) {
    EXPECT_EQ(ours_int, theirs_int) << "'" << text << "'";
  }
}

TEST(CellText, FastNumberParsingAgreesWithFromCharsOnEdgeCases) {
  for (const char* text : {"0",
                           "-0",
                           "-0.0",
                           "1",
                           "1.",
                           ".5",
                           "-.5",
                           ".",
                           "-",
                           "",
                           "12345678",
                           "123456789",
                           "1234567.8",
                           "0.000001",
                           "123456789012345",
                           "1234567890123456",
                           "0.1234567890123456",
                           "999999999999999999",
                           "1000000000000000000",
                           "9223372036854775807",
                           "-9223372036854775808",
                           "9223372036854775808",
                           "00000000000000000001",
                           "1e5",
                           "1.5E-3",
                           "2.5e",
                           "inf",
                           "-nan",
                           "12,34",
                           "7\xC3\xA9",
                           "12345678\xFF",
                           "3.14159265358979",
                           "-1234.5678x",
                           "1.7976931348623157e308",
                           "4.9e-324"}) {
    ExpectSameAsStd(text);
  }
}

TEST(CellText, FastNumberParsingAgreesWithFromCharsOnRandomDecimals) {
  SeededRng rng(20240601);
  for (int i = 0; i < 20000; ++i) {
    std::string text = rng.Below(2) == 0 ? "-" : "";
    size_t int_digits = static_cast<size_t>(rng.Below(12));
    size_t frac_digits = static_cast<size_t>(rng.Below(12));
    for (size_t d = 0; d < int_digits; ++d) text += static_cast<char>('0' + rng.Below(10));
    if (rng.Below(4) != 0) {
      text += '.';
      for (size_t d = 0; d < frac_digits; ++d) text += static_cast<char>('0' + rng.Below(10));
    }
    if (rng.Below(3) == 0) text += ",9";  // a following field
    ExpectSameAsStd(text);
  }
}

TEST(CellText, ParsesCellsWithSignsAndRanges) {
  int64_t i = 0;
  EXPECT_TRUE(ParseInt64Cell("+8", i));
  EXPECT_EQ(i, 8);
  EXPECT_FALSE(ParseInt64Cell("+-8", i));
  EXPECT_FALSE(ParseInt64Cell("", i));
  EXPECT_FALSE(ParseInt64Cell("9223372036854775808", i));
  double f = 0;
  EXPECT_TRUE(ParseDoubleCell("1e999", f));
  EXPECT_EQ(f, INFINITY);
  EXPECT_TRUE(ParseDoubleCell("-1e-999", f));
  EXPECT_EQ(f, 0.0);
  EXPECT_TRUE(std::signbit(f));
  EXPECT_FALSE(ParseDoubleCell("1e", f));
  bool b = false;
  EXPECT_TRUE(ParseBoolCell("TrUe", b));
  EXPECT_TRUE(b);
  EXPECT_FALSE(ParseBoolCell("1", b));
  EXPECT_FALSE(ParseBoolCell("t", b));
}

TEST(CellText, MissingTokensAreTrimmedAndFlagNumericSentinels) {
  MissingTokens defaults({"", "NA"});
  EXPECT_TRUE(defaults.Contains(""));
  EXPECT_TRUE(defaults.Contains("NA"));
  EXPECT_FALSE(defaults.Contains("na"));
  EXPECT_FALSE(defaults.any_numeric_start());
  MissingTokens sentinel({" -999 ", std::string(100, 'x')});
  EXPECT_TRUE(sentinel.Contains("-999"));
  EXPECT_TRUE(sentinel.Contains(std::string(100, 'x')));
  EXPECT_FALSE(sentinel.Contains(std::string(99, 'x')));
  EXPECT_TRUE(sentinel.any_numeric_start());
}

}  // namespace
}  // namespace citadel::data
