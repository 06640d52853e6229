// The hashing trick shared by hash_features and text (mode: hashed): a
// feature string is mapped to one of n buckets with a sign, by MurmurHash3
// (x86, 32-bit) — the hash sklearn's FeatureHasher and HashingVectorizer
// use. Written out here, byte-order independent, so a dataset hashed on one
// machine is hashed identically by a server on another. Pure functions.
// Internal to src/data/transform.
#pragma once

#include <cstdint>
#include <string_view>

namespace citadel::data {

// MurmurHash3_x86_32 of `data` (Austin Appleby's reference algorithm, with
// the 4-byte blocks read little-endian on every platform).
uint32_t MurmurHash3(std::string_view data, uint32_t seed = 0);

// Where a feature lands: bucket = h mod n_features, and the sign comes from
// the hash's top bit, which is independent of the bucket for n_features up
// to 2^31 (bucket uses the low bits when n_features is a power of two).
struct HashedFeature {
  uint32_t bucket;
  double sign;  // +1 or -1
};

// Precondition: n_features > 0.
HashedFeature HashFeature(std::string_view feature, uint32_t n_features);

}  // namespace citadel::data
