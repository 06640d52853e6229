#include "crypto/hmac.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>

#include "crypto/sha256.h"

namespace citadel::crypto {
namespace {
constexpr size_t kSha256BlockBytes = 64;
}  // namespace

std::string HmacSha256Tag::Hex() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * bytes.size(), '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
  return out;
}

HmacSha256Tag HmacSha256(std::string_view key, std::string_view message) {
  // Pre-hashing a long key is what HMAC does internally anyway; doing it here
  // keeps the length within the `int` that OpenSSL's HMAC() takes.
  Sha256Digest long_key;
  if (key.size() > kSha256BlockBytes) {
    long_key = Sha256::Of(key);
    key = std::string_view(reinterpret_cast<const char*>(long_key.bytes.data()),
                           long_key.bytes.size());
  }
  HmacSha256Tag tag;
  unsigned int length = 0;
  // Only an allocation failure inside libcrypto can fail here; like Sha256,
  // there is nothing sensible to continue with.
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), tag.bytes.data(),
           &length) == nullptr ||
      length != tag.bytes.size()) {
    std::abort();
  }
  return tag;
}

}  // namespace citadel::crypto
