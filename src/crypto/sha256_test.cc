#include "crypto/sha256.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/system/files.h"

namespace citadel::crypto {
namespace {

// FIPS 180-2 test vectors.
struct Vector {
  std::string input;
  std::string hex;
};

TEST(Sha256, MatchesFipsVectors) {
  std::vector<Vector> vectors = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {std::string(1000000, 'a'),
       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
  };
  for (const auto& v : vectors) EXPECT_EQ(Sha256::Of(v.input).Hex(), v.hex);
}

TEST(Sha256, StreamingEqualsOneShot) {
  std::string data(100000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31);
  Sha256 h;
  for (size_t i = 0; i < data.size(); i += 977) h.Update(std::string_view(data).substr(i, 977));
  EXPECT_EQ(h.Finish(), Sha256::Of(data));
}

TEST(Sha256, HexRoundTripsAndRejectsGarbage) {
  Sha256Digest d = Sha256::Of("abc");
  auto back = Sha256Digest::FromHex(d.Id());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, d);
  EXPECT_FALSE(Sha256Digest::FromHex("abc").ok());
  EXPECT_FALSE(Sha256Digest::FromHex(std::string(64, 'g')).ok());
}

TEST(Sha256, HashFileMatchesContentAndReportsSize) {
  auto path = std::filesystem::temp_directory_path() / "citadel_sha256_test.bin";
  std::string data(3 << 20, 'x');
  ASSERT_TRUE(WriteFileAtomic(path, data).ok());
  uint64_t size = 0;
  auto d = HashFile(path, &size);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, Sha256::Of(data));
  EXPECT_EQ(size, data.size());
  std::filesystem::remove(path);
  EXPECT_EQ(HashFile(path).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace citadel::crypto
