// SHA-256 through OpenSSL's EVP interface (SHA-NI / AVX2 where the CPU has
// them): a streaming hasher and whole-file hashing.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace citadel::crypto {

struct Sha256Digest {
  std::array<uint8_t, 32> bytes{};

  // 64 lowercase hex characters.
  std::string Hex() const;
  // "sha256:" + Hex(): the form used for artifact and blob ids.
  std::string Id() const { return "sha256:" + Hex(); }

  // Accepts 64 hex characters, with or without the "sha256:" prefix.
  static Result<Sha256Digest> FromHex(std::string_view text);

  friend bool operator==(const Sha256Digest&, const Sha256Digest&) = default;
};

// Incremental hasher. Not thread-safe; one per stream.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view data);
  void Update(const void* data, size_t size);
  // Finishes the hash; the hasher must not be updated afterwards.
  Sha256Digest Finish();

  static Sha256Digest Of(std::string_view data);

 private:
  struct Context;
  std::unique_ptr<Context> ctx_;
};

// Hashes a file by streaming it (constant memory). `size` receives its length.
Result<Sha256Digest> HashFile(const std::filesystem::path& path, uint64_t* size = nullptr);

}  // namespace citadel::crypto
