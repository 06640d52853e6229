#include "base/text/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace citadel {
namespace {

struct Utf8Case {
  const char* name;
  std::string bytes;
  bool valid;
};

TEST(IsValidUtf8, AcceptsWellFormedAndRejectsMalformedSequences) {
  using namespace std::string_literals;
  const Utf8Case cases[] = {
      {"empty", "", true},
      {"ascii", "Iris-setosa", true},
      {"embedded NUL", "a\0b"s, true},
      {"two-byte e-acute", "caf\xC3\xA9", true},
      {"smallest two-byte U+0080", "\xC2\x80", true},
      {"three-byte euro sign", "\xE2\x82\xAC", true},
      {"smallest three-byte U+0800", "\xE0\xA0\x80", true},
      {"last before surrogates U+D7FF", "\xED\x9F\xBF", true},
      {"first after surrogates U+E000", "\xEE\x80\x80", true},
      {"U+FFFF", "\xEF\xBF\xBF", true},
      {"four-byte emoji U+1F600", "\xF0\x9F\x98\x80", true},
      {"smallest four-byte U+10000", "\xF0\x90\x80\x80", true},
      {"largest code point U+10FFFF", "\xF4\x8F\xBF\xBF", true},
      {"lone continuation byte", "\x80", false},
      {"latin-1 e-acute", "caf\xE9", false},
      {"overlong slash C0 AF", "\xC0\xAF", false},
      {"overlong C1 BF", "\xC1\xBF", false},
      {"overlong three-byte U+007F", "\xE0\x81\xBF", false},
      {"overlong three-byte U+07FF", "\xE0\x9F\xBF", false},
      {"overlong four-byte U+FFFF", "\xF0\x8F\xBF\xBF", false},
      {"high surrogate U+D800", "\xED\xA0\x80", false},
      {"low surrogate U+DFFF", "\xED\xBF\xBF", false},
      {"above U+10FFFF (U+110000)", "\xF4\x90\x80\x80", false},
      {"lead byte F5", "\xF5\x80\x80\x80", false},
      {"lead byte FF", "\xFF", false},
      {"truncated two-byte at end", "ab\xC3", false},
      {"truncated three-byte at end", "\xE2\x82", false},
      {"truncated four-byte at end", "\xF0\x9F\x98", false},
      {"missing continuation mid-text", "\xC3\x41", false},
      {"ascii after bad continuation", "\xE2\x28\xA1", false},
  };
  for (const Utf8Case& c : cases) {
    EXPECT_EQ(IsValidUtf8(c.bytes), c.valid) << c.name;
  }
}

}  // namespace
}  // namespace citadel

namespace citadel {
namespace {

TEST(Utf8SequenceLength, MeasuresOneSequenceAndRefusesWhatIsNotOne) {
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // a, é, €, 😀
  EXPECT_EQ(Utf8SequenceLength(text, 0), 1u);
  EXPECT_EQ(Utf8SequenceLength(text, 1), 2u);
  EXPECT_EQ(Utf8SequenceLength(text, 3), 3u);
  EXPECT_EQ(Utf8SequenceLength(text, 6), 4u);
  EXPECT_EQ(Utf8SequenceLength(text, 2), 0u);            // a continuation byte
  EXPECT_EQ(Utf8SequenceLength(text, text.size()), 0u);  // past the end
  EXPECT_EQ(Utf8SequenceLength("\xE2\x82", 0), 0u);      // truncated
  EXPECT_EQ(Utf8SequenceLength("\xC0\xAF", 0), 0u);      // overlong
  EXPECT_EQ(Utf8SequenceLength("\xED\xA0\x80", 0), 0u);  // a surrogate
  EXPECT_EQ(Utf8SequenceLength("\xF4\x90\x80\x80", 0), 0u);  // above U+10FFFF
}

}  // namespace
}  // namespace citadel
