#include "base/system/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <random>

namespace citadel {

void UniqueFd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<std::string> ReadFile(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("opening", path.string(), errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError("stat", path.string(), errno);
  // Read straight into the string; the size from fstat is a hint only (the
  // file may grow or shrink meanwhile, or be a pipe that reports 0).
  std::string data;
  size_t used = 0;
  data.resize(std::max<size_t>(static_cast<size_t>(st.st_size), 1) + 1);
  while (true) {
    if (used == data.size()) data.resize(data.size() * 2);
    ssize_t n = ::read(fd.get(), data.data() + used, data.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("reading", path.string(), errno);
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  data.resize(used);
  return data;
}

Status WriteAll(int fd, std::string_view data, const std::filesystem::path& path_for_errors) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("writing", path_for_errors.string(), errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

std::filesystem::path UniqueTempPath(const std::filesystem::path& dir, std::string_view stem) {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return dir / fmt::format(".{}.tmp.{}.{}.{:x}", stem, ::getpid(), counter.fetch_add(1), rng());
}

Status FsyncDirectory(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("opening directory", dir.string(), errno);
  if (::fsync(fd.get()) != 0) return ErrnoError("fsync of directory", dir.string(), errno);
  return Status::Ok();
}

Status CreateDirectories(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return ErrnoError("creating directory", dir.string(), ec.value());
  return Status::Ok();
}

Status WriteFileAtomic(const std::filesystem::path& path, std::string_view data, int mode) {
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  std::filesystem::path temp = UniqueTempPath(dir, path.filename().string());
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd.valid()) return ErrnoError("creating", temp.string(), errno);
  Status status = WriteAll(fd.get(), data, temp);
  if (status.ok() && ::fsync(fd.get()) != 0) status = ErrnoError("fsync", temp.string(), errno);
  fd.Reset();
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    status = ErrnoError("renaming into place", path.string(), errno);
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  return FsyncDirectory(dir);
}

}  // namespace citadel
