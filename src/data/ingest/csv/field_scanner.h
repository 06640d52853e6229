// FieldScanner: finds where CSV fields may end — the next delimiter, '\n' or
// '"' — 64 bytes at a time (SSE2 compares to a bit mask; a portable loop
// elsewhere), so the typed reader learns a field's end from a bit scan
// instead of from byte-by-byte parsing. Each field's end then no longer waits
// on the number parser, and the parses of neighbouring fields overlap in the
// CPU.
//
// Positions are offsets into the text. A '"' is reported wherever it is; the
// caller decides whether it opens a quoted field (at a field's start) or is a
// plain character (inside an unquoted field, where RFC 4180 readers keep it).
//
// Not thread-safe; the text must outlive the scanner.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace citadel::data {

class FieldScanner {
 public:
  FieldScanner(std::string_view text, char delimiter)
      : text_(text.data()), size_(text.size()), delimiter_(delimiter) {}

  // The first offset >= `pos` holding the delimiter, '\n' or '"', or the text
  // size when there is none. Any `pos` <= the text size is allowed, in any
  // order (forward moves are the fast ones).
  size_t Next(size_t pos) {
    for (;;) {
      size_t off = pos - block_;  // wraps to a huge value when pos < block_
      if (pos >= block_ && off < 64) {
        uint64_t m = mask_ >> off;
        if (m != 0) return pos + static_cast<size_t>(std::countr_zero(m));
        pos = block_ + 64;
      }
      Load(pos);
    }
  }

 private:
  // Scans the 64 bytes at `pos`. Past the end of the text, a bit at the text
  // size stands in for a field end, so Next returns the size there.
  void Load(size_t pos) {
    block_ = pos;
    size_t left = size_ - pos;
    if (left >= 64) {
      mask_ = Mask64(text_ + pos);
      return;
    }
    char tail[64];
    std::memset(tail, 0, sizeof(tail));  // NUL is never the delimiter
    std::memcpy(tail, text_ + pos, left);
    mask_ = Mask64(tail) | (uint64_t{1} << left);
  }

  uint64_t Mask64(const char* p) const {
#if defined(__SSE2__)
    const __m128i delimiter = _mm_set1_epi8(delimiter_);
    const __m128i newline = _mm_set1_epi8('\n');
    const __m128i quote = _mm_set1_epi8('"');
    uint64_t mask = 0;
    for (int i = 0; i < 4; ++i) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
      __m128i hit =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, delimiter), _mm_cmpeq_epi8(v, newline)),
                       _mm_cmpeq_epi8(v, quote));
      mask |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(hit))) << (16 * i);
    }
    return mask;
#else
    uint64_t mask = 0;
    for (int i = 0; i < 64; ++i) {
      char c = p[i];
      if (c == delimiter_ || c == '\n' || c == '"') mask |= uint64_t{1} << i;
    }
    return mask;
#endif
  }

  const char* text_;
  size_t size_;
  char delimiter_;
  size_t block_ = SIZE_MAX;  // offset of the scanned block; none yet
  uint64_t mask_ = 0;
};

// The number of '\n' and of '"' bytes in `text`, 16 bytes at a time: where
// the records of a file start is found from these counts (a newline outside
// quotes ends a record), so the counts must be cheap next to parsing.
struct NewlinesAndQuotes {
  size_t newlines = 0;
  size_t quotes = 0;
};
inline NewlinesAndQuotes CountNewlinesAndQuotes(std::string_view text) {
  NewlinesAndQuotes counts;
  const char* p = text.data();
  size_t n = text.size();
  size_t i = 0;
#if defined(__SSE2__)
  // Each compare adds 1 (subtracts -1) to a byte lane; lanes are summed
  // (psadbw) before 255 rounds can overflow them.
  const __m128i newline = _mm_set1_epi8('\n');
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i zero = _mm_setzero_si128();
  while (i + 16 <= n) {
    __m128i lines = zero;
    __m128i quotes = zero;
    for (int round = 0; round < 255 && i + 16 <= n; ++round, i += 16) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      lines = _mm_sub_epi8(lines, _mm_cmpeq_epi8(v, newline));
      quotes = _mm_sub_epi8(quotes, _mm_cmpeq_epi8(v, quote));
    }
    __m128i line_sums = _mm_sad_epu8(lines, zero);
    __m128i quote_sums = _mm_sad_epu8(quotes, zero);
    counts.newlines += static_cast<size_t>(_mm_cvtsi128_si32(line_sums)) +
                       static_cast<size_t>(_mm_extract_epi16(line_sums, 4));
    counts.quotes += static_cast<size_t>(_mm_cvtsi128_si32(quote_sums)) +
                     static_cast<size_t>(_mm_extract_epi16(quote_sums, 4));
  }
#endif
  for (; i < n; ++i) {
    counts.newlines += p[i] == '\n';
    counts.quotes += p[i] == '"';
  }
  return counts;
}

}  // namespace citadel::data
