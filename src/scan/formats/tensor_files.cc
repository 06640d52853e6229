#include "scan/formats/tensor_files.h"

#include <fmt/format.h>

#include "formats/safetensors.h"
#include "scan/formats/little_endian.h"

namespace citadel::scan {

bool LooksLikeSafetensors(std::string_view data) {
  if (data.size() < 10) return false;
  const uint64_t header = LoadLittleEndian(data, 0, 8);
  return header >= 2 && header <= data.size() - 8 && data[8] == '{';
}

Status CheckSafetensors(std::string_view data) {
  return formats::SafetensorsFile::ParseBorrowed(data, "safetensors").status();
}

bool LooksLikeNpy(std::string_view data) { return data.starts_with("\x93NUMPY"); }

namespace {

// The quoted value of the header's single 'descr' key ('…' or "…"), or the
// bracketed list of a structured dtype. numpy reads the header with
// ast.literal_eval: both quote styles count, and of two equal keys the last
// wins — so a header with the key twice, or one this reader cannot follow,
// is refused rather than guessed.
Result<std::string> DescrOf(std::string_view header) {
  size_t key = std::string_view::npos;
  int found = 0;
  for (std::string_view spelling : {"'descr'", "\"descr\""}) {
    for (size_t at = header.find(spelling); at != std::string_view::npos;
         at = header.find(spelling, at + 1)) {
      key = at + spelling.size();
      ++found;
    }
  }
  if (found != 1) {
    return InvalidArgumentError(
        fmt::format("the .npy header names 'descr' {} times (once is valid)", found));
  }
  size_t at = key;
  while (at < header.size() && (header[at] == ' ' || header[at] == ':')) ++at;
  if (at >= header.size()) return InvalidArgumentError("the .npy descr has no value");
  const char open = header[at];
  if (open == '\'' || open == '"') {
    const size_t close = header.find(open, at + 1);
    if (close == std::string_view::npos)
      return InvalidArgumentError("the .npy descr is not closed");
    return std::string(header.substr(at + 1, close - at - 1));
  }
  if (open == '[') {
    const size_t close = header.rfind(']');
    if (close == std::string_view::npos || close < at) {
      return InvalidArgumentError("the .npy structured descr is not closed");
    }
    return std::string(header.substr(at, close - at + 1));
  }
  return InvalidArgumentError("the .npy descr is neither a string nor a list");
}

}  // namespace

Result<NpyLayout> ReadNpyHeader(std::string_view data) {
  if (data.size() < 10) return InvalidArgumentError("the .npy header is truncated");
  const int major = static_cast<unsigned char>(data[6]);
  if (major < 1 || major > 3) {
    return InvalidArgumentError(fmt::format(".npy format version {} is unknown", major));
  }
  const size_t width = major == 1 ? 2 : 4;
  const uint64_t start = 8 + width;
  if (data.size() < start) return InvalidArgumentError("the .npy header is truncated");
  const uint64_t header_len = LoadLittleEndian(data, 8, width);
  if (header_len > data.size() - start) {
    return InvalidArgumentError(
        fmt::format("the .npy header of {} bytes runs past the end", header_len));
  }
  NpyLayout layout;
  ASSIGN_OR_RETURN(layout.descr, DescrOf(data.substr(start, header_len)));
  // Any 'O' (object) in a plain or structured dtype means pickled data.
  layout.object_array = layout.descr.find('O') != std::string::npos;
  layout.data_offset = start + header_len;
  return layout;
}

}  // namespace citadel::scan
