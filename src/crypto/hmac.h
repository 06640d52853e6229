// HMAC-SHA256 (RFC 2104 / FIPS 198-1) through OpenSSL: keyed hashing for
// values that must not be reversible by someone without the key, such as
// pseudonymised PII.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace citadel::crypto {

struct HmacSha256Tag {
  std::array<uint8_t, 32> bytes{};

  // 64 lowercase hex characters.
  std::string Hex() const;

  friend bool operator==(const HmacSha256Tag&, const HmacSha256Tag&) = default;
};

// HMAC-SHA256 of `message` under `key`. Any key length is accepted (keys
// longer than the 64-byte block are hashed first, as RFC 2104 specifies).
// Pure; safe to call concurrently.
HmacSha256Tag HmacSha256(std::string_view key, std::string_view message);

}  // namespace citadel::crypto
