#include "data/transform/text/feature_hash.h"

#include <gtest/gtest.h>

#include <string>

namespace citadel::data {
namespace {

struct Vector {
  std::string data;
  uint32_t seed;
  uint32_t hash;
};

// Published MurmurHash3_x86_32 vectors (SMHasher reference output), and
// sklearn's murmurhash3_32(b"foo") = -156908512 as an unsigned value.
TEST(MurmurHash3, MatchesReferenceVectors) {
  std::vector<Vector> vectors = {
      {"", 0, 0},
      {"", 1, 0x514E28B7},
      {"", 0xffffffff, 0x81F16F39},
      {std::string(4, '\0'), 0, 0x2362F9DE},
      {"a", 0x9747b28c, 0x7FA09EA6},
      {"aa", 0x9747b28c, 0x5D211726},
      {"aaa", 0x9747b28c, 0x283E0130},
      {"aaaa", 0x9747b28c, 0x5A97808A},
      {"abc", 0x9747b28c, 0xC84A62DD},
      {"abcd", 0x9747b28c, 0xF0478627},
      {"Hello, world!", 0x9747b28c, 0x24884CBA},
      {"The quick brown fox jumps over the lazy dog", 0x9747b28c, 0x2FA826CD},
      {"foo", 0, 4138058784u},
  };
  for (const Vector& v : vectors) {
    EXPECT_EQ(MurmurHash3(v.data, v.seed), v.hash) << "'" << v.data << "' seed " << v.seed;
  }
}

TEST(MurmurHash3, HighBytesAreReadUnsigned) {
  // "ππππππππ" in UTF-8: every byte ≥ 0x80, which a signed-char read would break.
  EXPECT_EQ(
      MurmurHash3("\xcf\x80\xcf\x80\xcf\x80\xcf\x80\xcf\x80\xcf\x80\xcf\x80\xcf\x80", 0x9747b28c),
      0xD58063C1u);
}

TEST(HashFeature, BucketIsTheHashModuloNAndSignIsTheTopBit) {
  // MurmurHash3("city=paris") = 0xa04b7c46: 0xa04b7c46 mod 8 = 6, top bit set.
  HashedFeature paris = HashFeature("city=paris", 8);
  EXPECT_EQ(paris.bucket, 6u);
  EXPECT_EQ(paris.sign, -1.0);
  // MurmurHash3("browser=chrome") = 0x514ddcf0: mod 8 = 0, top bit clear.
  HashedFeature chrome = HashFeature("browser=chrome", 8);
  EXPECT_EQ(chrome.bucket, 0u);
  EXPECT_EQ(chrome.sign, 1.0);
}

}  // namespace
}  // namespace citadel::data
