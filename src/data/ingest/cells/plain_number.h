// Numbers of fields whose bounds are already known (the CSV reader finds
// every field end of a block before converting any field, see
// csv/field_end_index.h): a field is classified and converted from a fixed
// 16-byte window in a few branch-free steps, and since no step waits on
// where the previous field ended, the conversions of neighbouring fields
// overlap in the CPU.
//
// Only literals whose value is provably exact are taken: an optional '-',
// decimal digits with at most one '.', 1 to 15 digits in all (leading zeros
// count), no exponent, no '+', no blanks. Such a literal is m / 10^k with
// m < 10^15 < 2^53 and k <= 15, both exact doubles, so one IEEE division is
// the correctly rounded value — bit for bit what std::from_chars returns
// (Clinger's fast path). Anything else returns false and the caller uses the
// general rule of cell_text.h.
//
// The digits are read from one 16-byte SSE2 vector (the x86-64 baseline;
// other targets use a byte loop): no branch depends on how many digits a
// field has or where its point is.
//
// Pure functions: thread-safe.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace citadel::data {

// The longest field the plain parsers take, and how many bytes they may read
// from the field's start (the field's bytes and whatever follows them).
inline constexpr size_t kPlainFieldMaxBytes = 16;
inline constexpr size_t kPlainNumberReadBytes = 32;

namespace plain_number_internal {

// 5^-k modulo 2^64 (5^k is odd, so it has an inverse): dividing a multiple
// of 5^k by 5^k is a multiplication by it.
constexpr uint64_t InverseOfPowerOf5(int k) {
  uint64_t power = 1;
  for (int i = 0; i < k; ++i) power *= 5;
  uint64_t inverse = power;  // correct to 3 bits; each step doubles them
  for (int i = 0; i < 5; ++i) inverse *= 2 - power * inverse;
  return inverse;
}
inline constexpr uint64_t kInversePow5[] = {
    InverseOfPowerOf5(0),  InverseOfPowerOf5(1),  InverseOfPowerOf5(2),  InverseOfPowerOf5(3),
    InverseOfPowerOf5(4),  InverseOfPowerOf5(5),  InverseOfPowerOf5(6),  InverseOfPowerOf5(7),
    InverseOfPowerOf5(8),  InverseOfPowerOf5(9),  InverseOfPowerOf5(10), InverseOfPowerOf5(11),
    InverseOfPowerOf5(12), InverseOfPowerOf5(13), InverseOfPowerOf5(14), InverseOfPowerOf5(15),
    InverseOfPowerOf5(16)};

inline constexpr double kPow10Double[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                          1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

#if defined(__SSE2__)
// 16 bytes of 0xFF then 16 of zero: the 16 bytes at kPrefixBytes + 16 - n
// select the first n bytes of a vector.
alignas(64) inline constexpr uint8_t kPrefixBytes[32] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

inline __m128i FirstBytes(size_t n) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(kPrefixBytes + 16 - n));
}

// The 16 digit values (0…9) of `digits`, byte 0 the most significant, read
// as one decimal number: adjacent lanes are combined by multiply-adds into
// pairs, quads and eights (each fits its lane), then the two eights in a
// register.
inline uint64_t SixteenDigitValue(__m128i digits) {
  const __m128i zero = _mm_setzero_si128();
  const __m128i by_10 = _mm_setr_epi16(10, 1, 10, 1, 10, 1, 10, 1);
  const __m128i pairs = _mm_packs_epi32(_mm_madd_epi16(_mm_unpacklo_epi8(digits, zero), by_10),
                                        _mm_madd_epi16(_mm_unpackhi_epi8(digits, zero), by_10));
  const __m128i quads = _mm_madd_epi16(pairs, _mm_setr_epi16(100, 1, 100, 1, 100, 1, 100, 1));
  const __m128i eights = _mm_madd_epi16(_mm_packs_epi32(quads, quads),
                                        _mm_setr_epi16(10000, 1, 10000, 1, 10000, 1, 10000, 1));
  const uint64_t both = static_cast<uint64_t>(_mm_cvtsi128_si64(eights));
  return (both & 0xFFFFFFFF) * 100000000 + (both >> 32);
}
#endif

}  // namespace plain_number_internal

// A plain decimal literal taken apart: its value is ±mantissa / 10^scale.
struct PlainDecimal {
  uint64_t mantissa = 0;  // < 10^15
  uint32_t scale = 0;     // digits after the '.', 0…15
  bool negative = false;  // written with a '-' (so "-0" is -0.0 as a double)
  bool has_point = false;
};

// Parses exactly the `len` bytes at `p` as a plain decimal (see the file
// comment). Preconditions: kPlainNumberReadBytes bytes are readable at `p`.
// Returns false, `out` untouched, for any other text or len >
// kPlainFieldMaxBytes.
inline bool ParsePlainDecimal(const char* p, size_t len, PlainDecimal& out) {
  using namespace plain_number_internal;
  if (len - 1 >= kPlainFieldMaxBytes) return false;  // also len == 0
  const uint32_t in_field = (uint32_t{1} << len) - 1;
  const uint32_t sign = p[0] == '-' ? 1 : 0;  // bit 0, where a '-' may stand
#if defined(__SSE2__)
  // The 16 bytes at p, classified in one go; no loop over the digits.
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  // A digit becomes 0…9 after subtracting '0'; every other byte wraps to 10…255.
  const __m128i values = _mm_sub_epi8(bytes, _mm_set1_epi8('0'));
  const __m128i is_digit = _mm_cmpeq_epi8(_mm_min_epu8(values, _mm_set1_epi8(9)), values);
  const uint32_t digits = static_cast<uint32_t>(_mm_movemask_epi8(is_digit)) & in_field;
  const uint32_t dots =
      static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('.')))) &
      in_field;
#else
  uint32_t digits = 0;
  uint32_t dots = 0;
  for (size_t i = 0; i < len; ++i) {
    const unsigned char c = static_cast<unsigned char>(p[i]);
    if (c - '0' < 10u) digits |= uint32_t{1} << i;
    if (c == '.') dots |= uint32_t{1} << i;
  }
#endif
  if ((digits | dots | sign) != in_field || (dots & (dots - 1)) != 0) return false;
  const size_t count = len - sign - (dots != 0 ? 1 : 0);
  if (count - 1 >= 15) return false;  // 1 to 15 digits
  const size_t point = dots != 0 ? static_cast<size_t>(std::countr_zero(dots)) : 0;
#if defined(__SSE2__)
  // The digit values with everything else zeroed; the digits before the
  // point move up one byte into its place, so that the digits are
  // contiguous and end at byte len - 1. Read as a 16-digit decimal they are
  // then mantissa · 10^(16 - len).
  const __m128i digit_values = _mm_and_si128(_mm_and_si128(values, is_digit), FirstBytes(len));
  const __m128i before_point = FirstBytes(point);
  const __m128i joined = _mm_or_si128(_mm_slli_si128(_mm_and_si128(digit_values, before_point), 1),
                                      _mm_andnot_si128(before_point, digit_values));
  // scaled = mantissa · 2^k · 5^k with k = 16 - len: both divisions are exact.
  const uint64_t scaled = SixteenDigitValue(joined);
  const size_t k = kPlainFieldMaxBytes - len;
  out.mantissa = (scaled >> k) * kInversePow5[k];
#else
  uint64_t mantissa = 0;
  for (size_t i = 0; i < len; ++i) {
    if ((digits >> i) & 1) mantissa = mantissa * 10 + static_cast<uint64_t>(p[i] - '0');
  }
  out.mantissa = mantissa;
#endif
  out.scale = static_cast<uint32_t>(dots != 0 ? len - point - 1 : 0);
  out.negative = sign != 0;
  out.has_point = dots != 0;
  return true;
}

// The double of a parsed literal: the value std::from_chars gives for its
// text, since mantissa and 10^scale are exact doubles and the division is
// correctly rounded.
inline double PlainDecimalToDouble(const PlainDecimal& number) {
  using namespace plain_number_internal;
  // mantissa < 2^53 converts exactly; the signed conversion is one instruction.
  const double value =
      static_cast<double>(static_cast<int64_t>(number.mantissa)) / kPow10Double[number.scale];
  // The sign is set on the bits: a branch on it would be mispredicted on
  // every other field of a column of mixed signs.
  return std::bit_cast<double>(std::bit_cast<uint64_t>(value) |
                               (static_cast<uint64_t>(number.negative) << 63));
}

// The int64 of a parsed literal without a '.'; false for one with a '.'
// ("5." is a float, as std::from_chars for int64 stops at the '.').
inline bool PlainDecimalToInt64(const PlainDecimal& number, int64_t& out) {
  if (number.has_point) return false;
  const uint64_t negative = number.negative ? 1 : 0;
  // Two's complement negation when negative, without a branch (see above).
  out = static_cast<int64_t>((number.mantissa ^ (0 - negative)) + negative);
  return true;
}

// ParsePlainDecimal then the conversion, for callers with one field at a time.
inline bool ParsePlainDouble(const char* p, size_t len, double& out) {
  PlainDecimal number;
  if (!ParsePlainDecimal(p, len, number)) return false;
  out = PlainDecimalToDouble(number);
  return true;
}
inline bool ParsePlainInt64(const char* p, size_t len, int64_t& out) {
  PlainDecimal number;
  return ParsePlainDecimal(p, len, number) && PlainDecimalToInt64(number, out);
}

}  // namespace citadel::data
