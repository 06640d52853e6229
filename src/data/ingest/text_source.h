// The bytes of an input file as text: plain, or gzip decompressed in memory.
//
// Compression is detected from the content (the gzip magic bytes 1f 8b), never
// from the file name, so "data.csv" holding gzip data and "data.csv.gz"
// holding plain text both read correctly.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/status.h"

namespace citadel::data {

// True when `bytes` starts with the gzip magic.
bool IsGzip(std::string_view bytes);

// Decompresses one or more concatenated gzip members. `source` names the
// file in messages. Errors (InvalidArgument): a stream that ends early
// (truncated file), corrupt data or checksum, bytes after the last member.
Result<std::string> Gunzip(std::string_view bytes, std::string_view source);

// Reads `path` whole; gunzips it when it is gzip data. Errors: the file
// cannot be read (NotFound, PermissionDenied, …), or Gunzip's errors.
Result<std::string> ReadTextSource(const std::filesystem::path& path);

}  // namespace citadel::data
