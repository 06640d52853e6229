// Artifact manifests: the list of an artifact's files {path, sha256, size},
// sorted by path. An artifact's id is the SHA-256 of its canonical manifest,
// and the manifest itself is stored as a blob under that digest, so the store
// alone can reconstruct every artifact. Format: docs/formats/manifest.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "crypto/sha256.h"

namespace citadel::store {

struct ManifestEntry {
  std::string path;  // relative, '/'-separated, no "." or ".." components
  crypto::Sha256Digest digest;
  uint64_t size = 0;
};

class Manifest {
 public:
  Manifest() = default;
  // Sorts entries by path; rejects unsafe or duplicate paths.
  static Result<Manifest> FromEntries(std::vector<ManifestEntry> entries);
  static Result<Manifest> Parse(std::string_view canonical_json, std::string_view source);

  const std::vector<ManifestEntry>& files() const { return files_; }
  uint64_t TotalSize() const;
  const ManifestEntry* Find(std::string_view path) const;

  std::string Canonical() const;
  crypto::Sha256Digest Id() const { return crypto::Sha256::Of(Canonical()); }

 private:
  std::vector<ManifestEntry> files_;
};

// A relative path is safe when it stays inside the artifact directory.
bool IsSafeRelativePath(std::string_view path);

}  // namespace citadel::store
