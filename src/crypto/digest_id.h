// Content ids ("sha256:HEX", the form of artifact and blob ids) and the
// bare hex digests that in-toto and CycloneDX documents carry.
#pragma once

#include <string_view>

namespace citadel::crypto {

// The hex digest of `id`, with or without its "sha256:" prefix.
inline std::string_view DigestHexOf(std::string_view id) {
  constexpr std::string_view kPrefix = "sha256:";
  return id.starts_with(kPrefix) ? id.substr(kPrefix.size()) : id;
}

}  // namespace citadel::crypto
