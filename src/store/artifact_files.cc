#include "store/artifact_files.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>

#include "base/system/files.h"

namespace citadel::store {
namespace fs = std::filesystem;

namespace {
Status InArtifact(const Status& s, const Manifest& manifest, std::string_view path) {
  return s.WithContext(fmt::format("artifact {}, file {}", manifest.Id().Id(), path));
}
}  // namespace

Result<Manifest> StoreDirectory(const BlobStore& blobs, const fs::path& dir) {
  std::vector<ManifestEntry> entries;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
  if (ec) return ErrnoError("reading directory", dir.string(), ec.value());
  for (fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) return ErrnoError("reading directory", dir.string(), ec.value());
    fs::file_status st = it->symlink_status();
    if (fs::is_directory(st)) continue;
    std::string rel = fs::relative(it->path(), dir).generic_string();
    if (!fs::is_regular_file(st)) {
      return InvalidArgumentError(fmt::format(
          "{}: only regular files can be stored in an artifact (symlinks and devices are refused)",
          it->path().string()));
    }
    uint64_t size = 0;
    ASSIGN_OR_RETURN(auto digest, blobs.PutFile(it->path(), &size));
    entries.push_back({rel, digest, size});
  }
  ASSIGN_OR_RETURN(Manifest manifest, Manifest::FromEntries(std::move(entries)));
  RETURN_IF_ERROR(blobs.Put(manifest.Canonical()));
  return manifest;
}

Result<Manifest> StoreFiles(const BlobStore& blobs, const std::vector<ArtifactFile>& files) {
  std::vector<ManifestEntry> entries;
  for (const ArtifactFile& file : files) {
    uint64_t size = file.bytes.size();
    ASSIGN_OR_RETURN(auto digest,
                     file.produce ? blobs.PutStreamed(file.produce, &size) : blobs.Put(file.bytes));
    entries.push_back({file.path, digest, size});
  }
  ASSIGN_OR_RETURN(Manifest manifest, Manifest::FromEntries(std::move(entries)));
  RETURN_IF_ERROR(blobs.Put(manifest.Canonical()));
  return manifest;
}

Result<Manifest> StoreStreamedFile(
    const BlobStore& blobs, std::string_view name,
    const std::function<Status(const BlobStore::ByteSink&)>& produce) {
  return StoreFiles(blobs, {ArtifactFile{std::string(name), {}, produce}});
}

Result<Manifest> StoreFile(const BlobStore& blobs, const fs::path& file, std::string_view name) {
  uint64_t size = 0;
  ASSIGN_OR_RETURN(auto digest, blobs.PutFile(file, &size));
  ASSIGN_OR_RETURN(Manifest manifest,
                   Manifest::FromEntries({ManifestEntry{std::string(name), digest, size}}));
  RETURN_IF_ERROR(blobs.Put(manifest.Canonical()));
  return manifest;
}

Result<Manifest> LoadManifest(const BlobStore& blobs, const crypto::Sha256Digest& id) {
  Result<std::string> text = blobs.Get(id);
  if (!text.ok()) return text.status().WithContext(fmt::format("manifest of artifact {}", id.Id()));
  return Manifest::Parse(*text, id.Id());
}

namespace {
Result<const ManifestEntry*> FindFile(const Manifest& manifest, std::string_view path) {
  const ManifestEntry* entry = manifest.Find(path);
  if (entry == nullptr) {
    return NotFoundError(fmt::format("artifact {} has no file '{}'", manifest.Id().Id(), path));
  }
  return entry;
}
}  // namespace

Result<std::string> ReadArtifactFile(const BlobStore& blobs, const Manifest& manifest,
                                     std::string_view path) {
  ASSIGN_OR_RETURN(const ManifestEntry* entry, FindFile(manifest, path));
  Result<std::string> data = blobs.Get(entry->digest);
  if (!data.ok()) return InArtifact(data.status(), manifest, path);
  return data;
}

Result<MappedFile> MapArtifactFile(const BlobStore& blobs, const Manifest& manifest,
                                   std::string_view path) {
  ASSIGN_OR_RETURN(const ManifestEntry* entry, FindFile(manifest, path));
  Result<MappedFile> data = blobs.Map(entry->digest);
  if (!data.ok()) return InArtifact(data.status(), manifest, path);
  return data;
}

Status ExportArtifact(const BlobStore& blobs, const Manifest& manifest, const fs::path& dest) {
  // Export into a sibling temp directory and rename it into place, so a
  // failure (a corrupt blob, a full disk) never leaves a partial artifact.
  fs::path parent = dest.parent_path().empty() ? fs::path(".") : dest.parent_path();
  RETURN_IF_ERROR(CreateDirectories(parent));
  fs::path temp = UniqueTempPath(parent, dest.filename().string());
  auto discard = [&] {
    std::error_code ec;
    fs::remove_all(temp, ec);
  };
  RETURN_IF_ERROR(CreateDirectories(temp));
  for (const auto& f : manifest.files()) {
    fs::path target = temp / f.path;
    Status s = CreateDirectories(target.parent_path());
    if (s.ok()) s = blobs.CopyTo(f.digest, target);
    if (!s.ok()) {
      discard();
      return InArtifact(s, manifest, f.path);
    }
  }
  // rename(2) replaces `dest` only when it is absent or an empty directory.
  if (::rename(temp.c_str(), dest.c_str()) != 0) {
    int err = errno;
    discard();
    if (err == ENOTEMPTY || err == EEXIST) {
      return AlreadyExistsError(fmt::format(
          "{} exists and is not empty; export into a new or empty directory", dest.string()));
    }
    return ErrnoError("renaming export into place", dest.string(), err);
  }
  return FsyncDirectory(parent);
}

}  // namespace citadel::store
