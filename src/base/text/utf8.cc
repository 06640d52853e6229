#include "base/text/utf8.h"

#include <cstddef>
#include <cstdint>

namespace citadel {
namespace {

bool InRange(uint8_t byte, uint8_t lo, uint8_t hi) { return byte >= lo && byte <= hi; }

}  // namespace

size_t Utf8SequenceLength(std::string_view text, size_t pos) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data()) + pos;
  if (pos >= text.size()) return 0;
  const size_t n = text.size() - pos;
  const uint8_t b0 = p[0];
  if (b0 < 0x80) return 1;
  // The lead byte fixes the length and the range of the second byte; the
  // narrowed second-byte ranges are what exclude overlongs (E0, F0),
  // surrogates (ED) and code points above U+10FFFF (F4).
  size_t length = 0;
  uint8_t lo = 0x80;
  uint8_t hi = 0xBF;
  if (InRange(b0, 0xC2, 0xDF)) {
    length = 2;
  } else if (b0 == 0xE0) {
    length = 3;
    lo = 0xA0;
  } else if (b0 == 0xED) {
    length = 3;
    hi = 0x9F;
  } else if (InRange(b0, 0xE1, 0xEF)) {
    length = 3;
  } else if (b0 == 0xF0) {
    length = 4;
    lo = 0x90;
  } else if (b0 == 0xF4) {
    length = 4;
    hi = 0x8F;
  } else if (InRange(b0, 0xF1, 0xF3)) {
    length = 4;
  } else {
    return 0;  // 80..C1 (continuation or overlong lead) and F5..FF
  }
  if (n < length || !InRange(p[1], lo, hi)) return 0;
  for (size_t k = 2; k < length; ++k) {
    if (!InRange(p[k], 0x80, 0xBF)) return 0;
  }
  return length;
}

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = Utf8SequenceLength(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

}  // namespace citadel
