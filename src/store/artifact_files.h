// Moving whole artifacts between directories and the blob store.
//
// StoreDirectory turns a directory into blobs plus a manifest blob; the other
// functions read an artifact back, verifying every byte, and name the
// artifact and file in any error.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "store/blob_store.h"
#include "store/manifest.h"

namespace citadel::store {

// Stores every regular file under `dir` (recursively; symlinks and special
// files are refused) and the manifest itself. Returns the manifest, whose
// Id() is the artifact id.
Result<Manifest> StoreDirectory(const BlobStore& blobs, const std::filesystem::path& dir);

// One file of an artifact built by the program rather than read from disk:
// its bytes, or a producer that streams them (BlobStore::PutStreamed), so
// that large content is hashed and written as it is made, never assembled.
struct ArtifactFile {
  std::string path;  // in the artifact
  std::string bytes;
  // When set, the content; `bytes` is then unused.
  std::function<Status(const BlobStore::ByteSink&)> produce = nullptr;
};

// Stores the files and the manifest: for outputs built in memory, which need
// not be written to a directory first.
Result<Manifest> StoreFiles(const BlobStore& blobs, const std::vector<ArtifactFile>& files);

// A single-file artifact whose bytes are streamed (StoreFiles of one).
Result<Manifest> StoreStreamedFile(
    const BlobStore& blobs, std::string_view name_in_artifact,
    const std::function<Status(const BlobStore::ByteSink&)>& produce);

// Stores one file as a single-entry artifact named `name_in_artifact`.
Result<Manifest> StoreFile(const BlobStore& blobs, const std::filesystem::path& file,
                           std::string_view name_in_artifact);

// Loads the manifest blob of artifact `id` (verified).
Result<Manifest> LoadManifest(const BlobStore& blobs, const crypto::Sha256Digest& id);

// One file of an artifact, digest verified. DataLoss / NotFound errors name
// the artifact id and the file path.
Result<std::string> ReadArtifactFile(const BlobStore& blobs, const Manifest& manifest,
                                     std::string_view path);

// The same, mapped into memory instead of copied (BlobStore::Map).
Result<MappedFile> MapArtifactFile(const BlobStore& blobs, const Manifest& manifest,
                                   std::string_view path);

// Writes every file of the artifact to the directory `dest`, which must not
// exist or be empty. All or nothing: files are verified into a temp directory
// that is renamed to `dest` only when every file checked out.
Status ExportArtifact(const BlobStore& blobs, const Manifest& manifest,
                      const std::filesystem::path& dest);

}  // namespace citadel::store
