// Little-endian integers at any offset of untrusted bytes, for the format
// readers of the scanner. The caller has checked the bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace citadel::scan {

inline uint64_t LoadLittleEndian(std::string_view data, size_t at, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(data[at + i])) << (8 * i);
  }
  return v;
}

}  // namespace citadel::scan
