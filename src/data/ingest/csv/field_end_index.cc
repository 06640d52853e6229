#include "data/ingest/csv/field_end_index.h"

#include <algorithm>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CITADEL_FIELD_END_AVX2 1
#endif

namespace citadel::data {
namespace {

using Kernel = FieldEndIndex::Kernel;

// A window never spans more text than this, so that offsets fit in 32 bits
// even for a text without a single field end.
constexpr size_t kMaxWindowBytes = size_t{1} << 30;
// Ends a window is filled to when records are short: the text of a window
// (~40 KB of numeric CSV) and its list stay in the L2 cache between the scan
// and the conversions.
constexpr size_t kMinWindowEnds = 4096;

bool IsFieldEnd(char c, char delimiter) { return c == delimiter || c == '\n' || c == '"'; }

FieldEndScan ListScalar(const char* text, size_t bytes, char delimiter, size_t stop_after,
                        uint32_t* out) {
  size_t n = 0;
  size_t i = 0;
  while (i < bytes && n < stop_after) {
    // Every offset is written and only the ends are kept: no branch per byte.
    for (const size_t block_end = i + 64; i < block_end; ++i) {
      out[n] = static_cast<uint32_t>(i);
      n += IsFieldEnd(text[i], delimiter) ? 1 : 0;
    }
  }
  return {i, n};
}

#if defined(__SSE2__)
FieldEndScan ListSse2(const char* text, size_t bytes, char delimiter, size_t stop_after,
                      uint32_t* out) {
  const __m128i delimiters = _mm_set1_epi8(delimiter);
  const __m128i newlines = _mm_set1_epi8('\n');
  const __m128i quotes = _mm_set1_epi8('"');
  size_t n = 0;
  size_t i = 0;
  while (i < bytes && n < stop_after) {
    uint64_t mask = 0;
    for (int k = 0; k < 4; ++k) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text + i + 16 * k));
      const __m128i hit =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, delimiters), _mm_cmpeq_epi8(v, newlines)),
                       _mm_cmpeq_epi8(v, quotes));
      mask |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(hit))) << (16 * k);
    }
    while (mask != 0) {
      out[n++] = static_cast<uint32_t>(i + static_cast<size_t>(std::countr_zero(mask)));
      mask &= mask - 1;
    }
    i += 64;
  }
  return {i, n};
}
#endif

#if defined(CITADEL_FIELD_END_AVX2)
// Writes 8 offsets per step whether or not the block has that many ends (the
// extra ones land beyond the count and are overwritten by the next block):
// the steps taken depend on the count only in groups of 8, which branch
// prediction follows, instead of one loop exit per block.
__attribute__((target("avx2,bmi,popcnt"))) FieldEndScan ListAvx2(const char* text, size_t bytes,
                                                                 char delimiter, size_t stop_after,
                                                                 uint32_t* out) {
  const __m256i delimiters = _mm256_set1_epi8(delimiter);
  const __m256i newlines = _mm256_set1_epi8('\n');
  const __m256i quotes = _mm256_set1_epi8('"');
  size_t n = 0;
  size_t i = 0;
  while (i < bytes && n < stop_after) {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(text + i));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(text + i + 32));
    const __m256i lo_hit = _mm256_or_si256(
        _mm256_or_si256(_mm256_cmpeq_epi8(lo, delimiters), _mm256_cmpeq_epi8(lo, newlines)),
        _mm256_cmpeq_epi8(lo, quotes));
    const __m256i hi_hit = _mm256_or_si256(
        _mm256_or_si256(_mm256_cmpeq_epi8(hi, delimiters), _mm256_cmpeq_epi8(hi, newlines)),
        _mm256_cmpeq_epi8(hi, quotes));
    uint64_t mask =
        static_cast<uint32_t>(_mm256_movemask_epi8(lo_hit)) |
        (static_cast<uint64_t>(static_cast<uint32_t>(_mm256_movemask_epi8(hi_hit))) << 32);
    const size_t found = static_cast<size_t>(_mm_popcnt_u64(mask));
    const uint32_t base = static_cast<uint32_t>(i);
    uint32_t* o = out + n;
    for (size_t written = 0; written < found; written += 8, o += 8) {
      for (int k = 0; k < 8; ++k) {
        o[k] = base + static_cast<uint32_t>(_tzcnt_u64(mask));
        mask = _blsr_u64(mask);
      }
    }
    n += found;
    i += 64;
  }
  return {i, n};
}
#endif

}  // namespace

FieldEndScan ListFieldEnds(Kernel kernel, const char* text, size_t bytes, char delimiter,
                           size_t stop_after, uint32_t* out) {
  switch (kernel) {
    case Kernel::kAvx2:
#if defined(CITADEL_FIELD_END_AVX2)
      return ListAvx2(text, bytes, delimiter, stop_after, out);
#else
      break;
#endif
    case Kernel::kSse2:
#if defined(__SSE2__)
      return ListSse2(text, bytes, delimiter, stop_after, out);
#else
      break;
#endif
    case Kernel::kScalar:
      break;
  }
  return ListScalar(text, bytes, delimiter, stop_after, out);
}

bool FieldEndIndex::KernelAvailable(Kernel kernel) {
  switch (kernel) {
    case Kernel::kScalar:
      return true;
    case Kernel::kSse2:
#if defined(__SSE2__)
      return true;
#else
      return false;
#endif
    case Kernel::kAvx2:
#if defined(CITADEL_FIELD_END_AVX2)
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
             __builtin_cpu_supports("popcnt");
#else
      return false;
#endif
  }
  return false;
}

FieldEndIndex::Kernel FieldEndIndex::BestKernel() {
  static const Kernel best = KernelAvailable(Kernel::kAvx2)   ? Kernel::kAvx2
                             : KernelAvailable(Kernel::kSse2) ? Kernel::kSse2
                                                              : Kernel::kScalar;
  return best;
}

FieldEndIndex::FieldEndIndex(std::string_view text, char delimiter, size_t max_count, Kernel kernel)
    : text_(text.data()),
      size_(text.size()),
      delimiter_(delimiter),
      kernel_(kernel),
      capacity_(std::max(kMinWindowEnds, 2 * max_count)),
      // Room for the block that crosses capacity_ and for the text's tail block.
      ends_(capacity_ + 128) {}

const uint32_t* FieldEndIndex::Refill(size_t pos, size_t count) {
  // A window that starts at `pos` already is short only when capped by
  // kMaxWindowBytes: a record that long is left to the general path.
  if (filled_ && window_begin_ == pos) return nullptr;
  Fill(pos);
  return count_ >= count ? ends_.data() : nullptr;
}

void FieldEndIndex::Fill(size_t pos) {
  filled_ = true;
  window_begin_ = pos;
  next_ = 0;
  const size_t left = size_ - pos;
  const size_t whole = std::min(left, kMaxWindowBytes) / 64 * 64;
  FieldEndScan scan =
      ListFieldEnds(kernel_, text_ + pos, whole, delimiter_, capacity_, ends_.data());
  count_ = scan.ends;
  window_bytes_ = scan.bytes;
  if (scan.bytes != whole || whole == left || left > kMaxWindowBytes) return;
  // The text's last, partial block, from a copy padded with NUL (never the
  // delimiter): the kernels read whole blocks only.
  char tail[64] = {};
  std::memcpy(tail, text_ + pos + whole, left - whole);
  uint32_t tail_ends[128];
  FieldEndScan last = ListFieldEnds(kernel_, tail, 64, delimiter_, 1, tail_ends);
  for (size_t k = 0; k < last.ends; ++k) {
    ends_[count_++] = static_cast<uint32_t>(whole) + tail_ends[k];
  }
  window_bytes_ = left;
}

}  // namespace citadel::data
