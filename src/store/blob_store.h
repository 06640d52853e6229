// Content-addressed blob store: root/sha256/ab/<64 hex>.
//
// Writes go to a unique temp file under root/tmp, are fsync'ed and renamed
// into place, so a blob path only ever holds complete content, and concurrent
// writers of the same content are harmless (same bytes, atomic rename).
// Every read re-hashes and fails with DataLoss on a mismatch: a corrupt blob
// is never handed out. Safe for concurrent use by threads and processes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/system/mapped_file.h"
#include "crypto/sha256.h"

namespace citadel::store {

using crypto::Sha256Digest;

class BlobStore {
 public:
  // Creates the directory layout if needed.
  static Result<BlobStore> Open(const std::filesystem::path& root);

  Result<Sha256Digest> Put(std::string_view data) const;
  // Content that `produce` hands, piece by piece, to the sink it is given:
  // hashed and written as it comes, committed (fsync, rename) at the end, so
  // large content never needs assembling in memory. `size` gets its length.
  using ByteSink = std::function<Status(std::string_view bytes)>;
  Result<Sha256Digest> PutStreamed(const std::function<Status(const ByteSink&)>& produce,
                                   uint64_t* size = nullptr) const;
  // Streams `source` into the store (constant memory); `size` gets its length.
  Result<Sha256Digest> PutFile(const std::filesystem::path& source, uint64_t* size = nullptr) const;

  // Whole blob, digest verified: NotFound if missing, DataLoss if corrupt.
  Result<std::string> Get(const Sha256Digest& digest) const;

  // The blob mapped into memory, digest verified (a large one read once
  // without a copy): NotFound if missing, DataLoss if corrupt.
  Result<MappedFile> Map(const Sha256Digest& digest) const;

  // Streams the blob to `dest` (temp + rename), verifying the digest before
  // the file appears at `dest`.
  Status CopyTo(const Sha256Digest& digest, const std::filesystem::path& dest) const;

  // Re-hashes the blob on disk: OK, NotFound or DataLoss.
  Status Verify(const Sha256Digest& digest) const;

  bool Contains(const Sha256Digest& digest) const;

  // Deletes a blob the catalog no longer lists (pruned checkpoints). A blob
  // that is already gone is not an error. Content-addressed: a concurrent
  // writer of the same bytes re-creates it whole.
  Status Remove(const Sha256Digest& digest) const;

  // Every blob file present, by the digest its path claims.
  Result<std::vector<Sha256Digest>> List() const;

  std::filesystem::path PathOf(const Sha256Digest& digest) const;
  const std::filesystem::path& root() const { return root_; }

 private:
  explicit BlobStore(std::filesystem::path root) : root_(std::move(root)) {}
  // Renames a fully written, fsync'ed temp file into the digest's place.
  Status Commit(const std::filesystem::path& temp, const Sha256Digest& digest) const;

  std::filesystem::path root_;
};

}  // namespace citadel::store
