#include "crypto/hmac.h"

#include <gtest/gtest.h>

#include <string>

namespace citadel::crypto {
namespace {

struct Rfc4231Case {
  int number;
  std::string key;
  std::string data;
  std::string hex;
};

std::string Repeat(char byte, size_t n) { return std::string(n, byte); }

// RFC 4231 section 4, HMAC-SHA-256 results. Case 5 (output truncated to 128
// bits) tests truncation, which is the caller's business here.
TEST(HmacSha256, MatchesRfc4231TestCases) {
  std::string key4;
  for (int b = 1; b <= 25; ++b) key4 += static_cast<char>(b);
  std::vector<Rfc4231Case> cases = {
      {1, Repeat('\x0b', 20), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {2, "Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {3, Repeat('\xaa', 20), Repeat('\xdd', 50),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {4, key4, Repeat('\xcd', 50),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {6, Repeat('\xaa', 131), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
  };
  for (const Rfc4231Case& c : cases) {
    EXPECT_EQ(HmacSha256(c.key, c.data).Hex(), c.hex) << "RFC 4231 test case " << c.number;
  }
}

TEST(HmacSha256, DifferentKeysGiveDifferentTagsForTheSameMessage) {
  EXPECT_NE(HmacSha256("key-a", "alice@example.com"), HmacSha256("key-b", "alice@example.com"));
  EXPECT_EQ(HmacSha256("key-a", "alice@example.com"), HmacSha256("key-a", "alice@example.com"));
}

TEST(HmacSha256, EmptyKeyAndEmptyMessageAreWellDefined) {
  // RFC 2104 zero-pads the key to the block size; value from Python's hmac module.
  EXPECT_EQ(HmacSha256("", "").Hex(),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

}  // namespace
}  // namespace citadel::crypto
