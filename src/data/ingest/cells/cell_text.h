// Cell text → typed value: the rules type inference and declared schemas
// apply to every CSV field and JSON string.
//
//   missing    the cell, trimmed of spaces and tabs, equals a missing-value
//              token (InputSpec::missing_values, themselves trimmed)
//   int        an optional '+' or '-' and decimal digits, in int64 range
//   float      what std::from_chars accepts for double, plus a leading '+':
//              decimal and scientific literals, "inf", "infinity" and "nan"
//              in any case (NaN is a value once it is not a missing token);
//              a literal beyond the double range becomes ±inf (or ±0)
//   bool       "true" or "false", any case ("0" and "1" are ints)
//   timestamp  what data::ParseTimestamp accepts (ISO 8601 date or date-time)
// Surrounding spaces and tabs are ignored by all of these; a string cell
// keeps its text verbatim.
//
// Pure functions and an immutable matcher: thread-safe.
#pragma once

#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace citadel::data {

inline std::string_view TrimBlanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// from_chars rejects a leading '+', which spreadsheets write.
inline std::string_view StripPlus(std::string_view text) {
  if (text.size() > 1 && text[0] == '+' && text[1] != '-' && text[1] != '+') text.remove_prefix(1);
  return text;
}

// Appends the decimal digits at `p` to `mantissa` (mantissa·10 + digit each;
// wraps silently past 19 digits, which callers rule out by counting) and
// returns the end of the digits. Eight bytes at a time where the text allows:
// the digits of a word are found with carry-free byte arithmetic and summed
// with three multiplications (the SWAR method of simdjson and fast_float).
inline const char* AccumulateDigits(const char* p, const char* last, uint64_t& mantissa) {
  static constexpr uint64_t kPow10[] = {1,      10,      100,      1000,     10000,
                                        100000, 1000000, 10000000, 100000000};
  if constexpr (std::endian::native == std::endian::little) {
    while (last - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      // High bit of each byte that is not '0'…'9'; bytes after the first such
      // byte may be garbled by carries, but only the first one is used.
      uint64_t non_digit =
          ((word + 0x4646464646464646) | (word - 0x3030303030303030)) & 0x8080808080808080;
      int n = non_digit == 0 ? 8 : std::countr_zero(non_digit) / 8;
      if (n == 0) return p;
      // The n digits as values 0…9, moved to the top bytes (zeros lead).
      uint64_t v = (word - 0x3030303030303030) << (64 - 8 * n);
      v = v * 10 + (v >> 8);
      v = (((v & 0x000000FF000000FF) * 0x000F424000000064) +
           (((v >> 16) & 0x000000FF000000FF) * 0x0000271000000001)) >>
          32;
      mantissa = mantissa * kPow10[n] + static_cast<uint32_t>(v);
      p += n;
      if (n < 8) return p;
    }
  }
  while (p < last && static_cast<unsigned>(*p - '0') < 10) {
    mantissa = mantissa * 10 + static_cast<unsigned>(*p - '0');
    ++p;
  }
  return p;
}

// std::from_chars for int64, with a fast path for at most 18 digits (which
// cannot overflow); longer literals go to from_chars for its range check.
inline std::from_chars_result FromCharsInt64(const char* first, const char* last, int64_t& out) {
  const char* p = first;
  const bool negative = p < last && *p == '-';
  if (negative) ++p;
  uint64_t magnitude = 0;
  const char* end = AccumulateDigits(p, last, magnitude);
  size_t count = static_cast<size_t>(end - p);
  if (count == 0 || count > 18) return std::from_chars(first, last, out);
  out = negative ? -static_cast<int64_t>(magnitude) : static_cast<int64_t>(magnitude);
  return {end, std::errc()};
}

// std::from_chars for double, with Clinger's fast path in front: a plain
// decimal of at most 15 significant digits and no exponent ("-123.456") is
// m / 10^k with m < 2^53 and k ≤ 15, both exact in a double, so one IEEE
// division gives the correctly rounded result — the value from_chars
// returns, in a fraction of the time. Anything else goes to from_chars.
inline std::from_chars_result FromCharsDouble(const char* first, const char* last, double& out) {
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  const char* p = first;
  const bool negative = p < last && *p == '-';
  if (negative) ++p;
  uint64_t mantissa = 0;
  const char* end = AccumulateDigits(p, last, mantissa);
  size_t count = static_cast<size_t>(end - p);
  size_t fraction = 0;
  if (end < last && *end == '.') {
    const char* fraction_begin = end + 1;
    end = AccumulateDigits(fraction_begin, last, mantissa);
    fraction = static_cast<size_t>(end - fraction_begin);
    count += fraction;
  }
  if (count == 0 || count > 15 || (end < last && (*end == 'e' || *end == 'E'))) {
    return std::from_chars(first, last, out);
  }
  double value = static_cast<double>(mantissa) / kPow10[fraction];
  out = negative ? -value : value;
  return {end, std::errc()};
}

// `text` must already be trimmed.
inline bool ParseInt64Cell(std::string_view text, int64_t& out) {
  text = StripPlus(text);
  const char* end = text.data() + text.size();
  auto [ptr, ec] = FromCharsInt64(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

// `text` must already be trimmed.
bool ParseDoubleCell(std::string_view text, double& out);

// "true" / "false" in any case; `text` must already be trimmed.
bool ParseBoolCell(std::string_view text, bool& out);

// The first character of a cell that may start a number on the fast path.
inline bool StartsNumber(char c) { return (c >= '0' && c <= '9') || c == '-' || c == '.'; }

// The missing-value tokens of an input.
class MissingTokens {
 public:
  explicit MissingTokens(const std::vector<std::string>& tokens);

  // `text` must already be trimmed.
  bool Contains(std::string_view text) const {
    if (text.size() < 64 && ((length_mask_ >> text.size()) & 1) == 0) return false;
    for (const std::string& token : tokens_) {
      if (token == text) return true;
    }
    return false;
  }
  // True when a token could be mistaken for a number by the numeric fast
  // path (a sentinel such as "-999"); the fast path is then off.
  bool any_numeric_start() const { return any_numeric_start_; }

 private:
  std::vector<std::string> tokens_;
  uint64_t length_mask_ = 0;  // bit n: some token has n < 64 bytes; longer cells always compare
  bool any_numeric_start_ = false;
};

}  // namespace citadel::data
