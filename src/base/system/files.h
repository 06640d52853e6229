// File-system primitives with crash-safe semantics.
//
// WriteFileAtomic never leaves a half-written file at the destination: data
// goes to a unique temporary file in the same directory, is fsync'ed, renamed
// over the destination, and the directory is fsync'ed so the rename survives a
// power loss. Readers see either the old or the new content.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/status.h"

namespace citadel {

// Owns a POSIX file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = other.Release();
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset();

 private:
  int fd_ = -1;
};

Result<std::string> ReadFile(const std::filesystem::path& path);

// Writes all of `data` to `fd`, retrying on EINTR and short writes.
Status WriteAll(int fd, std::string_view data, const std::filesystem::path& path_for_errors);

Status WriteFileAtomic(const std::filesystem::path& path, std::string_view data, int mode = 0644);

Status FsyncDirectory(const std::filesystem::path& dir);

Status CreateDirectories(const std::filesystem::path& dir);

// A name for a temporary file in `dir`, unique across processes and threads.
std::filesystem::path UniqueTempPath(const std::filesystem::path& dir, std::string_view stem);

}  // namespace citadel
