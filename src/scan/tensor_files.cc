#include "scan/tensor_files.h"

#include <fmt/format.h>

#include "formats/safetensors.h"
#include "scan/little_endian.h"

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

Result<NpyLayout> ReadNpyHeader(std::string_view data) {
  if (data.size() < 10) return InvalidArgumentError("the .npy header is truncated");
  const int major = static_cast<unsigned char>(data[6]);
  if (major < 1 || major > 3) {
    return InvalidArgumentError(fmt::format(".npy format version {} is unknown", major));
  }
  const size_t width = major == 1 ? 2 : 4;
  const uint64_t header_len = LoadLittleEndian(data, 8, width);
  const uint64_t start = 8 + width;
  if (header_len > data.size() - start) {
    return InvalidArgumentError(
        fmt::format("the .npy header of {} bytes runs past the end", header_len));
  }
  const std::string_view header = data.substr(start, header_len);
  // {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
  const size_t key = header.find("'descr'");
  if (key == std::string_view::npos) return InvalidArgumentError("the .npy header has no descr");
  const size_t open = header.find_first_of("'[", header.find(':', key));
  if (open == std::string_view::npos) return InvalidArgumentError("the .npy descr is malformed");
  NpyLayout layout;
  if (header[open] == '[') {
    // A structured dtype: a list of fields; any object field makes it pickled.
    const size_t close = header.find(']', open);
    if (close == std::string_view::npos) {
      return InvalidArgumentError("the .npy structured descr is not closed");
    }
    layout.descr = std::string(header.substr(open, close - open + 1));
    layout.object_array = layout.descr.find("'|O'") != std::string::npos ||
                          layout.descr.find("'O'") != std::string::npos;
  } else {
    const size_t close = header.find('\'', open + 1);
    if (close == std::string_view::npos) return InvalidArgumentError("the .npy descr is malformed");
    layout.descr = std::string(header.substr(open + 1, close - open - 1));
    layout.object_array = layout.descr.find('O') != std::string::npos;
  }
  layout.data_offset = start + header_len;
  return layout;
}

}  // namespace citadel::scan
