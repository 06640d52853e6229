// The bytes of an input file as text: plain, or gzip decompressed in memory.
//
// Compression is detected from the content (the gzip magic bytes 1f 8b), never
// from the file name, so "data.csv" holding gzip data and "data.csv.gz"
// holding plain text both read correctly.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/system/mapped_file.h"

namespace citadel::data {

// True when `bytes` starts with the gzip magic.
bool IsGzip(std::string_view bytes);

// The most bytes Gunzip will produce. Deflate compresses a run of zeros about
// 1000:1, so a few megabytes of "gzip bomb" would otherwise exhaust memory.
inline constexpr uint64_t kMaxDecompressedBytes = uint64_t{8} << 30;  // 8 GiB

// Decompresses one or more concatenated gzip members. `source` names the
// file in messages. Errors (InvalidArgument): a stream that ends early
// (truncated file), corrupt data or checksum, bytes after the last member,
// output beyond `max_bytes` (tests pass a small cap; callers use the default).
Result<std::string> Gunzip(std::string_view bytes, std::string_view source,
                           uint64_t max_bytes = kMaxDecompressedBytes);

// Reads `path` whole; gunzips it when it is gzip data. Errors: the file
// cannot be read (NotFound, PermissionDenied, …), or Gunzip's errors.
Result<std::string> ReadTextSource(const std::filesystem::path& path);

// The same text without copying a plain file: it is mapped read-only (the
// page cache itself, no fresh buffer to fault in: ~30% of reading a 170 MB
// CSV went to that copy), while gzip data is decompressed into memory.
class MappedTextSource {
 public:
  static Result<MappedTextSource> Open(const std::filesystem::path& path);
  std::string_view text() const { return decoded_ ? std::string_view(*decoded_) : file_.bytes(); }

 private:
  MappedFile file_;
  std::optional<std::string> decoded_;  // gzip input, decompressed
};

}  // namespace citadel::data
