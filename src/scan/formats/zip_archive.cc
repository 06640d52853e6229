#include "scan/formats/zip_archive.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>

#include "scan/formats/little_endian.h"

namespace citadel::scan {
namespace {

constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kEndOfDirectory = 0x06054b50;
constexpr uint32_t kZip64EndOfDirectory = 0x06064b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr size_t kEndRecordSize = 22;

bool Fits(std::string_view data, uint64_t at, uint64_t size) {
  return at <= data.size() && size <= data.size() - at;
}

// ZIP64 extended information (extra field 0x0001): the 64-bit values of the
// fields that hold 0xFFFFFFFF, in this order.
void ApplyZip64Extra(std::string_view extra, ZipEntry& e) {
  size_t at = 0;
  while (at + 4 <= extra.size()) {
    const uint64_t id = LoadLittleEndian(extra, at, 2), len = LoadLittleEndian(extra, at + 2, 2);
    if (at + 4 + len > extra.size()) return;
    if (id == 0x0001) {
      size_t p = at + 4;
      const size_t end = p + len;
      auto next = [&](uint64_t& field) {
        if (field == 0xFFFFFFFF && p + 8 <= end) {
          field = LoadLittleEndian(extra, p, 8);
          p += 8;
        }
      };
      next(e.size);
      next(e.compressed_size);
      next(e.local_offset);
      return;
    }
    at += 4 + len;
  }
}

}  // namespace

bool LooksLikeZip(std::string_view data) {
  return data.size() >= 4 &&
         (LoadLittleEndian(data, 0, 4) == kLocalHeader ||
          (data.size() == kEndRecordSize && LoadLittleEndian(data, 0, 4) == kEndOfDirectory));
}

Result<std::vector<ZipEntry>> ReadZipDirectory(std::string_view data, std::string* problem) {
  if (data.size() < kEndRecordSize) return InvalidArgumentError("too short for a ZIP archive");
  // The end record is in the last 22 + 65535 (comment) bytes.
  const size_t lowest =
      data.size() >= kEndRecordSize + 65535 ? data.size() - kEndRecordSize - 65535 : 0;
  size_t end_at = std::string_view::npos;
  for (size_t i = data.size() - kEndRecordSize + 1; i-- > lowest;) {
    if (LoadLittleEndian(data, i, 4) == kEndOfDirectory) {
      end_at = i;
      break;
    }
  }
  if (end_at == std::string_view::npos) {
    return InvalidArgumentError("no end-of-central-directory record (truncated archive?)");
  }
  uint64_t count = LoadLittleEndian(data, end_at + 10, 2);
  uint64_t dir_size = LoadLittleEndian(data, end_at + 12, 4);
  uint64_t dir_offset = LoadLittleEndian(data, end_at + 16, 4);
  if (count == 0xFFFF || dir_size == 0xFFFFFFFF || dir_offset == 0xFFFFFFFF) {
    if (end_at < 20 || LoadLittleEndian(data, end_at - 20, 4) != kZip64Locator) {
      return InvalidArgumentError("ZIP64 values without a ZIP64 locator");
    }
    const uint64_t record = LoadLittleEndian(data, end_at - 20 + 8, 8);
    if (!Fits(data, record, 56) || LoadLittleEndian(data, record, 4) != kZip64EndOfDirectory) {
      return InvalidArgumentError("the ZIP64 end-of-directory record is missing or out of range");
    }
    count = LoadLittleEndian(data, record + 32, 8);
    dir_size = LoadLittleEndian(data, record + 40, 8);
    dir_offset = LoadLittleEndian(data, record + 48, 8);
  }
  if (!Fits(data, dir_offset, dir_size)) {
    return InvalidArgumentError(
        fmt::format("the central directory ({} bytes at {}) lies outside the {}-byte archive",
                    dir_size, dir_offset, data.size()));
  }
  // Entries are read through the directory's bytes, as Python's zipfile
  // reads them, not up to the end record's count, which an archive may
  // understate to hide entries from a scanner.
  std::vector<ZipEntry> entries;
  uint64_t at = dir_offset;
  const uint64_t dir_end = dir_offset + dir_size;
  for (uint64_t i = 0; at < dir_end; ++i) {
    if (!Fits(data, at, 46) || at + 46 > dir_end ||
        LoadLittleEndian(data, at, 4) != kCentralHeader) {
      return InvalidArgumentError(
          fmt::format("central directory entry {} is malformed (offset {})", i, at));
    }
    ZipEntry e;
    e.flags = static_cast<uint16_t>(LoadLittleEndian(data, at + 8, 2));
    e.method = static_cast<uint16_t>(LoadLittleEndian(data, at + 10, 2));
    e.crc32 = static_cast<uint32_t>(LoadLittleEndian(data, at + 16, 4));
    e.compressed_size = LoadLittleEndian(data, at + 20, 4);
    e.size = LoadLittleEndian(data, at + 24, 4);
    const uint64_t name_len = LoadLittleEndian(data, at + 28, 2),
                   extra_len = LoadLittleEndian(data, at + 30, 2),
                   comment_len = LoadLittleEndian(data, at + 32, 2);
    e.local_offset = LoadLittleEndian(data, at + 42, 4);
    if (!Fits(data, at + 46, name_len + extra_len + comment_len) ||
        at + 46 + name_len + extra_len + comment_len > dir_end) {
      return InvalidArgumentError(fmt::format("central directory entry {} runs past the end", i));
    }
    e.name = std::string(data.substr(at + 46, name_len));
    ApplyZip64Extra(data.substr(at + 46 + name_len, extra_len), e);
    entries.push_back(std::move(e));
    at += 46 + name_len + extra_len + comment_len;
  }
  if (entries.size() != count && problem != nullptr) {
    *problem = fmt::format("the end record counts {} entries but the directory holds {}", count,
                           entries.size());
  }
  return entries;
}

Result<ZipEntryData> ReadZipEntry(std::string_view data, const ZipEntry& entry, uint64_t max_bytes,
                                  bool* over_limit) {
  if (entry.encrypted()) return FailedPreconditionError("the entry is encrypted");
  const uint64_t at = entry.local_offset;
  if (!Fits(data, at, 30) || LoadLittleEndian(data, at, 4) != kLocalHeader) {
    return InvalidArgumentError(fmt::format("no local header at offset {}", at));
  }
  const uint64_t name_len = LoadLittleEndian(data, at + 26, 2),
                 extra_len = LoadLittleEndian(data, at + 28, 2);
  if (!Fits(data, at + 30, name_len + extra_len)) {
    return InvalidArgumentError("the local header runs past the end");
  }
  ZipEntryData out;
  out.local_name = std::string(data.substr(at + 30, name_len));
  const uint64_t start = at + 30 + name_len + extra_len;
  if (!Fits(data, start, entry.compressed_size)) {
    return InvalidArgumentError(
        fmt::format("its {} bytes at offset {} run past the end", entry.compressed_size, start));
  }
  const std::string_view packed = data.substr(start, entry.compressed_size);
  if (entry.method == 0) {
    if (packed.size() > max_bytes) {
      if (over_limit != nullptr) *over_limit = true;
      return InvalidArgumentError("the entry is too large to scan");
    }
    out.stored = packed;
  } else if (entry.method == 8) {
    out.deflated = true;
    z_stream zs{};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return InternalError("zlib inflateInit2 failed");
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
    zs.avail_in = static_cast<uInt>(std::min<uint64_t>(packed.size(), UINT32_MAX));
    int rc = Z_OK;
    char buffer[1 << 16];
    while (rc == Z_OK) {
      zs.next_out = reinterpret_cast<Bytef*>(buffer);
      zs.avail_out = sizeof(buffer);
      rc = inflate(&zs, Z_NO_FLUSH);
      out.inflated.append(buffer, sizeof(buffer) - zs.avail_out);
      if (out.inflated.size() > max_bytes) rc = Z_MEM_ERROR;
      if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
    }
    inflateEnd(&zs);
    if (rc == Z_MEM_ERROR) {
      if (over_limit != nullptr) *over_limit = true;
      return InvalidArgumentError("the entry inflates past the scan limit");
    }
    if (rc != Z_STREAM_END) {
      return InvalidArgumentError("its deflate data is corrupt or truncated");
    }
  } else {
    return FailedPreconditionError(
        fmt::format("compression method {} cannot be inspected", entry.method));
  }
  return out;
}

bool ZipCrcMatches(const ZipEntry& entry, std::string_view bytes) {
  return static_cast<uint32_t>(crc32_z(0L, reinterpret_cast<const Bytef*>(bytes.data()),
                                       bytes.size())) == entry.crc32;
}

}  // namespace citadel::scan
