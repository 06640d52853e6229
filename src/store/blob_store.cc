#include "store/blob_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/system/files.h"

namespace citadel::store {
namespace fs = std::filesystem;

namespace {
constexpr size_t kChunk = 1 << 20;
// Streamed blobs are handed to the disk in windows this large as they are
// written (PutStreamed).
constexpr uint64_t kWritebackWindow = 8 << 20;

// Copies `in` to `out` in chunks, feeding every byte to `hasher`.
Status CopyHashing(int in, const fs::path& in_path, int out, const fs::path& out_path,
                   crypto::Sha256& hasher, uint64_t* total) {
  std::string buffer(kChunk, '\0');
  uint64_t copied = 0;
  while (true) {
    ssize_t n = ::read(in, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("reading", in_path.string(), errno);
    }
    if (n == 0) break;
    std::string_view chunk(buffer.data(), static_cast<size_t>(n));
    hasher.Update(chunk);
    copied += chunk.size();
    RETURN_IF_ERROR(WriteAll(out, chunk, out_path));
  }
  if (total != nullptr) *total = copied;
  return Status::Ok();
}

Status MissingError(const Sha256Digest& digest, const fs::path& path) {
  return NotFoundError(
      fmt::format("blob {} is missing from the store ({})", digest.Id(), path.string()));
}

Status CorruptError(const Sha256Digest& expected, const Sha256Digest& actual,
                    const fs::path& path) {
  return DataLossError(fmt::format(
      "blob {} is corrupt: its content hashes to {} ({}); restore it from a backup or re-run "
      "the step that produced it",
      expected.Id(), actual.Id(), path.string()));
}
}  // namespace

Result<BlobStore> BlobStore::Open(const fs::path& root) {
  RETURN_IF_ERROR(CreateDirectories(root / "sha256"));
  RETURN_IF_ERROR(CreateDirectories(root / "tmp"));
  return BlobStore(root);
}

fs::path BlobStore::PathOf(const Sha256Digest& digest) const {
  std::string hex = digest.Hex();
  return root_ / "sha256" / hex.substr(0, 2) / hex;
}

bool BlobStore::Contains(const Sha256Digest& digest) const {
  struct stat st {};
  return ::stat(PathOf(digest).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Status BlobStore::Commit(const fs::path& temp, const Sha256Digest& digest) const {
  fs::path final_path = PathOf(digest);
  // A new shard directory (sha256/ab/) must itself be durable, or a power
  // loss could drop the blob that the catalog already points to.
  bool new_shard = !fs::exists(final_path.parent_path());
  Status status = CreateDirectories(final_path.parent_path());
  if (status.ok() && new_shard) status = FsyncDirectory(final_path.parent_path().parent_path());
  if (status.ok() && Contains(digest) && Verify(digest).ok()) {
    ::unlink(temp.c_str());  // identical content already in place
    return Status::Ok();
  }
  // Blobs are immutable: read-only for everyone, so an accidental write fails.
  if (status.ok() && ::chmod(temp.c_str(), 0444) != 0) {
    status = ErrnoError("chmod", temp.string(), errno);
  }
  // rename() replaces a corrupt blob atomically (self-healing on re-put).
  if (status.ok() && ::rename(temp.c_str(), final_path.c_str()) != 0) {
    status = ErrnoError("renaming blob into place", final_path.string(), errno);
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  return FsyncDirectory(final_path.parent_path());
}

Result<Sha256Digest> BlobStore::Put(std::string_view data) const {
  Sha256Digest digest = crypto::Sha256::Of(data);
  if (Contains(digest) && Verify(digest).ok()) return digest;
  fs::path temp = UniqueTempPath(root_ / "tmp", "blob");
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return ErrnoError("creating", temp.string(), errno);
  Status status = WriteAll(fd.get(), data, temp);
  if (status.ok() && ::fsync(fd.get()) != 0) status = ErrnoError("fsync", temp.string(), errno);
  fd.Reset();
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  RETURN_IF_ERROR(Commit(temp, digest));
  return digest;
}

Result<Sha256Digest> BlobStore::PutStreamed(const std::function<Status(const ByteSink&)>& produce,
                                            uint64_t* size) const {
  fs::path temp = UniqueTempPath(root_ / "tmp", "blob");
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return ErrnoError("creating", temp.string(), errno);
  crypto::Sha256 hasher;
  uint64_t total = 0;
  uint64_t handed_to_writeback = 0;
  Status status = produce([&](std::string_view bytes) -> Status {
    hasher.Update(bytes);
    total += bytes.size();
    RETURN_IF_ERROR(WriteAll(fd.get(), bytes, temp));
    // Start writing each full window to disk now, in the background, so the
    // fsync at the end waits for the last window only rather than for the
    // whole blob. Advisory: the fsync still reports any error.
    if (total - handed_to_writeback >= kWritebackWindow) {
      ::sync_file_range(fd.get(), static_cast<off_t>(handed_to_writeback),
                        static_cast<off_t>(total - handed_to_writeback), SYNC_FILE_RANGE_WRITE);
      handed_to_writeback = total;
    }
    return Status::Ok();
  });
  if (status.ok() && ::fsync(fd.get()) != 0) status = ErrnoError("fsync", temp.string(), errno);
  fd.Reset();
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  const Sha256Digest digest = hasher.Finish();
  RETURN_IF_ERROR(Commit(temp, digest));
  if (size != nullptr) *size = total;
  return digest;
}

Status BlobStore::Remove(const Sha256Digest& digest) const {
  const fs::path path = PathOf(digest);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoError("removing blob", path.string(), errno);
  }
  return Status::Ok();
}

Result<Sha256Digest> BlobStore::PutFile(const fs::path& source, uint64_t* size) const {
  UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return ErrnoError("opening", source.string(), errno);
  return PutStreamed(
      [&](const ByteSink& sink) -> Status {
        std::string buffer(kChunk, '\0');
        while (true) {
          ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
          if (n < 0) {
            if (errno == EINTR) continue;
            return ErrnoError("reading", source.string(), errno);
          }
          if (n == 0) return Status::Ok();
          RETURN_IF_ERROR(sink(std::string_view(buffer.data(), static_cast<size_t>(n))));
        }
      },
      size);
}

Result<std::string> BlobStore::Get(const Sha256Digest& digest) const {
  fs::path path = PathOf(digest);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      return MissingError(digest, path);
    }
    return ErrnoError("opening", path.string(), errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError("stat", path.string(), errno);
  // One pass: each chunk is hashed right after it is read, while it is
  // still in cache (reading everything, then hashing, reads memory twice).
  std::string data(static_cast<size_t>(st.st_size), '\0');
  crypto::Sha256 hasher;
  size_t done = 0;
  while (done < data.size()) {
    const size_t want = std::min<size_t>(kChunk, data.size() - done);
    ssize_t n = ::read(fd.get(), data.data() + done, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("reading", path.string(), errno);
    }
    if (n == 0) break;  // shrank under us: the digest check below fails
    hasher.Update(data.data() + done, static_cast<size_t>(n));
    done += static_cast<size_t>(n);
  }
  data.resize(done);
  Sha256Digest actual = hasher.Finish();
  if (actual != digest) return CorruptError(digest, actual, path);
  return data;
}

Result<MappedFile> BlobStore::Map(const Sha256Digest& digest) const {
  fs::path path = PathOf(digest);
  Result<MappedFile> mapped = MappedFile::Open(path);
  if (!mapped.ok()) {
    if (mapped.status().code() == StatusCode::kNotFound) {
      return MissingError(digest, path);
    }
    return mapped.status();
  }
  Sha256Digest actual = crypto::Sha256::Of(mapped->bytes());
  if (actual != digest) return CorruptError(digest, actual, path);
  return mapped;
}

Status BlobStore::Verify(const Sha256Digest& digest) const {
  fs::path path = PathOf(digest);
  Result<Sha256Digest> actual = crypto::HashFile(path);
  if (!actual.ok()) {
    if (actual.status().code() == StatusCode::kNotFound) {
      return MissingError(digest, path);
    }
    return actual.status();
  }
  if (*actual != digest) return CorruptError(digest, *actual, path);
  return Status::Ok();
}

Status BlobStore::CopyTo(const Sha256Digest& digest, const fs::path& dest) const {
  fs::path path = PathOf(digest);
  UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) {
    if (errno == ENOENT) {
      return MissingError(digest, path);
    }
    return ErrnoError("opening", path.string(), errno);
  }
  fs::path dir = dest.parent_path().empty() ? fs::path(".") : dest.parent_path();
  fs::path temp = UniqueTempPath(dir, dest.filename().string());
  UniqueFd out(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!out.valid()) return ErrnoError("creating", temp.string(), errno);
  crypto::Sha256 hasher;
  Status status = CopyHashing(in.get(), path, out.get(), temp, hasher, nullptr);
  if (status.ok()) {
    Sha256Digest actual = hasher.Finish();
    if (actual != digest) status = CorruptError(digest, actual, path);
  }
  if (status.ok() && ::fsync(out.get()) != 0) status = ErrnoError("fsync", temp.string(), errno);
  out.Reset();
  if (status.ok() && ::rename(temp.c_str(), dest.c_str()) != 0) {
    status = ErrnoError("renaming into place", dest.string(), errno);
  }
  if (!status.ok()) ::unlink(temp.c_str());
  return status;
}

Result<std::vector<Sha256Digest>> BlobStore::List() const {
  std::vector<Sha256Digest> digests;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root_ / "sha256", ec), end; it != end;
       it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file()) continue;
    auto digest = Sha256Digest::FromHex(it->path().filename().string());
    if (digest.ok()) digests.push_back(*digest);
  }
  if (ec) return ErrnoError("listing", (root_ / "sha256").string(), ec.value());
  std::sort(digests.begin(), digests.end(),
            [](const Sha256Digest& a, const Sha256Digest& b) { return a.bytes < b.bytes; });
  return digests;
}

}  // namespace citadel::store
