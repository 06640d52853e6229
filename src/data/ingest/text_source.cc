#include "data/ingest/text_source.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdint>

#include "base/system/files.h"

namespace citadel::data {
namespace {

// Owns a z_stream set up for gzip decoding; ends it on destruction.
class GzipInflater {
 public:
  GzipInflater() = default;
  ~GzipInflater() {
    if (initialised_) inflateEnd(&stream_);
  }
  GzipInflater(const GzipInflater&) = delete;
  GzipInflater& operator=(const GzipInflater&) = delete;

  // windowBits 15 + 16: accept the gzip wrapper only (we detected its magic).
  bool Init() {
    initialised_ = inflateInit2(&stream_, 15 + 16) == Z_OK;
    return initialised_;
  }
  z_stream& stream() { return stream_; }

 private:
  z_stream stream_{};
  bool initialised_ = false;
};

constexpr size_t kMaxChunk = 1u << 30;  // z_stream counts in 32-bit uInt
// The first output buffer: 4× the input is a good guess for text, but a bomb
// must not get a huge allocation before a single byte is inflated.
constexpr size_t kMaxInitialOutput = size_t{64} << 20;

}  // namespace

bool IsGzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

Result<std::string> Gunzip(std::string_view bytes, std::string_view source, uint64_t max_bytes) {
  GzipInflater inflater;
  if (!inflater.Init()) return InternalError(fmt::format("{}: cannot initialise zlib", source));
  z_stream& zs = inflater.stream();

  // The buffer may hold one byte past the cap: producing that byte is how an
  // oversized stream is told apart from one of exactly max_bytes.
  size_t cap = static_cast<size_t>(std::min<uint64_t>(max_bytes, SIZE_MAX - 1));
  size_t limit = cap + 1;
  std::string out;
  out.resize(std::min({std::max<size_t>(bytes.size() * 4, 4096), kMaxInitialOutput, limit}));
  size_t produced = 0;
  size_t consumed = 0;
  for (;;) {
    if (produced == out.size()) out.resize(std::min(out.size() * 2, limit));
    size_t in_chunk = std::min(bytes.size() - consumed, kMaxChunk);
    size_t out_chunk = std::min(out.size() - produced, kMaxChunk);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + consumed));
    zs.avail_in = static_cast<uInt>(in_chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out_chunk);
    int rc = inflate(&zs, Z_NO_FLUSH);
    consumed += in_chunk - zs.avail_in;
    produced += out_chunk - zs.avail_out;
    if (produced > cap) {
      return InvalidArgumentError(fmt::format(
          "{}: decompresses to more than {} bytes; refusing (possible gzip bomb)", source, cap));
    }

    if (rc == Z_STREAM_END) {
      std::string_view rest = bytes.substr(consumed);
      if (rest.empty()) break;
      // `gzip a b > c` concatenates members; anything else after the end is damage.
      if (!IsGzip(rest)) {
        return InvalidArgumentError(fmt::format(
            "{}: {} unexpected bytes after the end of the gzip data; the file is damaged or "
            "not a single gzip file",
            source, rest.size()));
      }
      if (inflateReset(&zs) != Z_OK) {
        return InternalError(fmt::format("{}: cannot reset zlib", source));
      }
      continue;
    }
    if (rc == Z_DATA_ERROR) {
      return InvalidArgumentError(fmt::format(
          "{}: corrupt gzip data at compressed byte {} ({}); re-create or re-download the file",
          source, consumed, zs.msg != nullptr ? zs.msg : "invalid data"));
    }
    if (rc == Z_MEM_ERROR) return InternalError(fmt::format("{}: zlib ran out of memory", source));
    bool input_exhausted = consumed == bytes.size();
    bool stalled = rc == Z_BUF_ERROR || (rc == Z_OK && zs.avail_out != 0);
    if (input_exhausted && stalled) {
      return InvalidArgumentError(fmt::format(
          "{}: truncated gzip data: the compressed stream ends after {} bytes before its end "
          "marker; the file was probably cut short (incomplete download or copy)",
          source, bytes.size()));
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return InvalidArgumentError(
          fmt::format("{}: gzip decoding failed (zlib error {})", source, rc));
    }
  }
  out.resize(produced);
  return out;
}

Result<std::string> ReadTextSource(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  if (!IsGzip(bytes)) return bytes;
  return Gunzip(bytes, path.string());
}

Result<MappedTextSource> MappedTextSource::Open(const std::filesystem::path& path) {
  MappedTextSource source;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    // A pipe or device cannot be mapped; a missing file or a directory gets
    // ReadFile's messages.
    ASSIGN_OR_RETURN(source.decoded_, ReadTextSource(path));
    return source;
  }
  ASSIGN_OR_RETURN(source.file_, MappedFile::Open(path));
  if (IsGzip(source.file_.bytes())) {
    ASSIGN_OR_RETURN(source.decoded_, Gunzip(source.file_.bytes(), path.string()));
    source.file_ = MappedFile();
  }
  return source;
}

}  // namespace citadel::data
