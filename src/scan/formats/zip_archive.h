// Reading ZIP archives for the scanner — PyTorch checkpoints, TorchScript
// modules, .keras and .npz files are ZIPs. Only what a scanner needs: the
// central directory (with ZIP64), and each entry's bytes, stored or
// deflated, and its CRC. The archive is untrusted: every offset and
// size is bounds-checked, inflated output is capped, and anything malformed
// is an error value, never a crash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace citadel::scan {

struct ZipEntry {
  std::string name;
  uint16_t flags = 0;   // bit 0: encrypted
  uint16_t method = 0;  // 0 stored, 8 deflate
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;
  uint64_t local_offset = 0;
  bool encrypted() const { return (flags & 1) != 0; }
};

// Starts with a local file header ("PK\3\4") or is an empty archive.
bool LooksLikeZip(std::string_view data);

// The entries of the central directory, read through its bytes.
// InvalidArgument naming what is malformed (no end-of-directory record, a
// record past the end, …). `problem` (optional) gets a mismatch that does
// not stop reading, such as an entry count that disagrees with the
// directory.
Result<std::vector<ZipEntry>> ReadZipDirectory(std::string_view data,
                                               std::string* problem = nullptr);

// An entry's content: a stored entry is a view into the archive (a
// 200 MB tensor storage is never copied); a deflated one is inflated here.
struct ZipEntryData {
  std::string inflated;
  std::string_view stored;
  bool deflated = false;
  std::string local_name;  // the name in the local header (may differ from the directory's)

  std::string_view bytes() const { return deflated ? std::string_view(inflated) : stored; }
};

// Whether `bytes` (the entry's content) has the CRC-32 the directory
// records. Separate from reading, so a caller may skip it where it costs a
// pass over bytes it otherwise never reads.
bool ZipCrcMatches(const ZipEntry& entry, std::string_view bytes);

// The entry's content. FailedPrecondition for an encrypted entry or an
// unsupported compression method; InvalidArgument when the entry is
// malformed or inflates past `max_bytes` (then `over_limit`, when given, is
// set: the caller may be spending a budget shared by several entries).
Result<ZipEntryData> ReadZipEntry(std::string_view data, const ZipEntry& entry, uint64_t max_bytes,
                                  bool* over_limit = nullptr);

}  // namespace citadel::scan
