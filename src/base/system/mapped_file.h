// A whole file mapped read-only into memory (RAII; unmapped when destroyed).
// For large immutable files read once — checkpoints being restored — it
// spares the copy into a fresh buffer and that buffer's page faults: the
// kernel maps the page cache directly (populated up front).
#pragma once

#include <filesystem>
#include <string_view>

#include "base/status.h"

namespace citadel {

class MappedFile {
 public:
  // NotFound when the file does not exist. An empty file maps to no bytes.
  static Result<MappedFile> Open(const std::filesystem::path& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace citadel
