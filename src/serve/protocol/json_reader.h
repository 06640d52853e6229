// Internal to the OIP codec: a cursor over JSON text that reads exactly
// RFC 8259, for the decoder (oip_decode.cc, oip_tensor_reader.cc), and the
// exact-integer test of a JSON number token.
//
// Why a hand-written reader rather than Json::parse: on a 1×64 FP32 request
// (776 bytes) nlohmann's DOM parse took 16 µs and its SAX interface ~70% of
// that (strtod per number through a token buffer), while this reader fills
// the Tensor in 3.6 µs (1.1 µs for the same request in binary):
// std::from_chars is fast_float underneath and no DOM node is built per
// element (oip_encode.cc has the encoder's numbers). Measured with GCC 12
// -O3, thread CPU time, best of 5, on the 2-core build machine under load
// from other builds, so absolute numbers run high; the ratios held across
// runs. Free-form `parameters` objects are still built as Json (they are
// small).
//
// The per-element methods (Peek, NextElement, ReadNumberToken,
// TokenToDouble, ...) are defined in the class so that the tensor reader's
// loops inline them; the rarely taken ones (errors, \u escapes, building a
// Json value) are in json_reader.cc.
#pragma once

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "base/status.h"
#include "base/text/json.h"
#include "base/text/utf8.h"

// RETURN_IF_ERROR copies the Status it tests (AsStatus takes a const&);
// in the per-element loop that copy was 8% of a parse, so the codec's
// reading code (this reader, the tensor reader, the decoder) uses this
// macro, which moves it instead.
#define OIP_RETURN_IF_ERROR(expr)                                  \
  do {                                                             \
    if (::citadel::Status oip_status = (expr); !oip_status.ok()) { \
      return oip_status;                                           \
    }                                                              \
  } while (false)

namespace citadel::serve::internal {

// Deeper nesting than this is refused before it can exhaust the stack (by
// the reader's values and by the tensor reader's data and shapes).
inline constexpr int kMaxDepth = 64;

// A token quoted in a message, cut short: a number may be megabytes long.
// Shared by the reader's and the decoder's messages.
std::string Quote(std::string_view token);

// ---------------------------------------------------------------------------
// JSON reader: a cursor over the JSON text that reads exactly RFC 8259 (no
// comments, no NaN, no trailing commas, strings valid UTF-8 with surrogate
// pairs checked), reporting errors with the byte offset.

class JsonReader {
 public:
  explicit JsonReader(std::string_view text)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

  // RFC 8259 lets a parser ignore a leading byte order mark (some Windows
  // clients send one; nlohmann skips it too).
  void SkipByteOrderMark() {
    if (remaining() >= 3 && std::string_view(p_, 3) == "\xEF\xBB\xBF") p_ += 3;
  }

  size_t offset() const { return static_cast<size_t>(p_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  void Seek(size_t offset) { p_ = begin_ + offset; }

  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  // The next significant byte; '\0' at the end (a NUL outside a string is
  // invalid anyway, so the callers' "expected …" error covers it).
  char Peek() {
    SkipSpace();
    return p_ < end_ ? *p_ : '\0';
  }
  bool AtEnd() {
    SkipSpace();
    return p_ == end_;
  }
  // Whether a JSON value could start here: a wrong type is then worth
  // naming, anything else is a syntax error.
  bool AtValueStart() {
    const char c = Peek();
    return c == '{' || c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' ||
           c == 'f' || c == 'n';
  }
  // `message` (a wrong type at a known place) when a value starts here,
  // else the syntax error.
  Status NotA(std::string message) {
    if (!AtValueStart()) return SyntaxError("expected a value");
    return InvalidArgumentError(std::move(message));
  }

  Status SyntaxError(std::string_view what) const { return SyntaxErrorAt(offset(), what); }
  Status SyntaxErrorAt(size_t at, std::string_view what) const;

  Status Expect(char c) {
    if (Peek() != c) return SyntaxError(fmt::format("expected '{}'", c));
    ++p_;
    return Status::Ok();
  }

  // Object members: call with first = true, then until *done.
  Status NextMember(bool* first, std::string* key, bool* done) {
    const char c = Peek();
    *done = false;
    if (c == '}') {
      ++p_;
      *done = true;
      return Status::Ok();
    }
    if (!*first) {
      if (c != ',') return SyntaxError("expected ',' or '}'");
      ++p_;
      if (Peek() != '"') return SyntaxError("expected a member name");
    } else if (c != '"') {
      return SyntaxError("expected a member name or '}'");
    }
    *first = false;
    OIP_RETURN_IF_ERROR(ReadString(key));
    return Expect(':');
  }

  // Array elements: call with first = true, then until *done.
  Status NextElement(bool* first, bool* done) {
    const char c = Peek();
    *done = false;
    if (c == ']') {
      ++p_;
      *done = true;
      return Status::Ok();
    }
    if (!*first) {
      if (c != ',') return SyntaxError("expected ',' or ']'");
      ++p_;
    }
    *first = false;
    return Status::Ok();
  }

  // At '"' (after Peek): the decoded string.
  Status ReadString(std::string* out) {
    out->clear();
    ++p_;  // the opening quote
    for (;;) {
      const char* run = p_;
      bool non_ascii = false;
      while (p_ < end_) {
        const auto c = static_cast<unsigned char>(*p_);
        if (c == '"' || c == '\\' || c < 0x20) break;
        non_ascii |= c >= 0x80;
        ++p_;
      }
      // Runs end at an ASCII byte, so they never split a UTF-8 sequence.
      if (non_ascii && !IsValidUtf8(std::string_view(run, static_cast<size_t>(p_ - run)))) {
        return SyntaxErrorAt(static_cast<size_t>(run - begin_),
                             "invalid UTF-8 in the string starting");
      }
      out->append(run, p_);
      if (p_ == end_) return SyntaxError("unterminated string");
      const char c = *p_;
      if (c == '"') {
        ++p_;
        return Status::Ok();
      }
      if (c != '\\') return SyntaxError("control character in a string (escape it)");
      ++p_;
      if (p_ == end_) return SyntaxError("unterminated string");
      switch (*p_++) {
        case '"':
          out->push_back('"');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case '/':
          out->push_back('/');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u':
          OIP_RETURN_IF_ERROR(ReadUnicodeEscape(out));
          break;
        default:
          --p_;
          return SyntaxError("invalid escape in a string");
      }
    }
  }

  // A number token by the JSON grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  Status ReadNumberToken(std::string_view* token) {
    const char* start = p_;
    if (p_ < end_ && *p_ == '-') ++p_;
    if (p_ < end_ && *p_ == '0') {
      ++p_;
    } else if (p_ < end_ && *p_ >= '1' && *p_ <= '9') {
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    } else {
      return SyntaxError("invalid number");
    }
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (p_ == end_ || !IsDigit(*p_)) return SyntaxError("invalid number (no digit after '.')");
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !IsDigit(*p_)) return SyntaxError("invalid number (no exponent digits)");
      while (p_ < end_ && IsDigit(*p_)) ++p_;
    }
    *token = std::string_view(start, static_cast<size_t>(p_ - start));
    return Status::Ok();
  }

  // true / false / null at the cursor; `*literal` is which.
  Status ReadLiteral(std::string_view* literal) {
    for (std::string_view word : {"true", "false", "null"}) {
      if (remaining() >= word.size() && std::string_view(p_, word.size()) == word) {
        p_ += word.size();
        *literal = word;
        return Status::Ok();
      }
    }
    return SyntaxError("expected a value");
  }

  // Any JSON value, into `*out` (or only checked and skipped when out is
  // null). Duplicate object keys: the last wins, as with nlohmann.
  Status ReadValue(Json* out, int depth);

  // A number token as a double (correctly rounded); an error past double's
  // range. Underflow reads as the nearest subnormal or zero, as strtod.
  Status TokenToDouble(std::string_view token, double* value) {
    const auto result = std::from_chars(token.data(), token.data() + token.size(), *value);
    if (result.ec == std::errc() && result.ptr == token.data() + token.size()) {
      return Status::Ok();
    }
    // Out of range (rare): strtod tells overflow (±HUGE_VAL) from underflow.
    const std::string copy(token);
    *value = std::strtod(copy.c_str(), nullptr);
    if (std::isinf(*value)) {
      return SyntaxErrorAt(static_cast<size_t>(token.data() - begin_),
                           fmt::format("number {} is out of a double's range", Quote(token)));
    }
    return Status::Ok();
  }

 private:
  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  // A hex digit's value; -1 if `c` is none.
  static int HexValue(char c);

  // The four hex digits of a \u escape.
  Status ReadHex4(uint32_t* value);

  // After "\u": one code point, a surrogate pair joined, as UTF-8.
  Status ReadUnicodeEscape(std::string* out);

  // Integers stay integers (int64 or uint64, as nlohmann keeps them);
  // anything else, or an integer too large for 64 bits, is a double.
  Status NumberToJson(std::string_view token, Json* out);

  const char* begin_;
  const char* p_;
  const char* end_;
};

// Whether a JSON number token is an integer that a double holds exactly
// (|v| <= 2^53), decided on its decimal digits: converting first would
// round 2^53+1 to 2^53 and 1.00000000000000001 to 1 and accept them.
// Used by the decoder on each element of an integer tensor, hence inline.
enum class IntegerCheck { kOk, kFraction, kTooLarge };

inline IntegerCheck CheckExactInteger(std::string_view token) {
  size_t i = token[0] == '-' ? 1 : 0;
  const size_t int_start = i;
  while (i < token.size() && token[i] >= '0' && token[i] <= '9') ++i;
  const std::string_view int_part = token.substr(int_start, i - int_start);
  std::string_view frac_part;
  if (i < token.size() && token[i] == '.') {
    const size_t frac_start = ++i;
    while (i < token.size() && token[i] >= '0' && token[i] <= '9') ++i;
    frac_part = token.substr(frac_start, i - frac_start);
  }
  int64_t exponent = 0;
  if (i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
    ++i;
    bool negative = false;
    if (token[i] == '+' || token[i] == '-') negative = token[i++] == '-';
    for (; i < token.size(); ++i) {
      // Saturate: beyond a million the answer no longer changes.
      if (exponent < 1000000) exponent = exponent * 10 + (token[i] - '0');
    }
    if (negative) exponent = -exponent;
  }
  // The significant digits S = int_part frac_part, with the decimal point
  // after `point` of them.
  const int64_t digits = static_cast<int64_t>(int_part.size() + frac_part.size());
  auto digit = [&](int64_t k) {
    return k < static_cast<int64_t>(int_part.size()) ? int_part[k] : frac_part[k - int_part.size()];
  };
  const int64_t point = static_cast<int64_t>(int_part.size()) + exponent;
  int64_t first_nonzero = 0;
  while (first_nonzero < digits && digit(first_nonzero) == '0') ++first_nonzero;
  if (first_nonzero == digits) return IntegerCheck::kOk;  // zero
  int64_t last_nonzero = digits - 1;
  while (digit(last_nonzero) == '0') --last_nonzero;
  if (last_nonzero >= point) return IntegerCheck::kFraction;
  const int64_t integer_digits = point - first_nonzero;
  if (integer_digits < 16) return IntegerCheck::kOk;  // < 10^15 < 2^53
  if (integer_digits > 16) return IntegerCheck::kTooLarge;
  std::string sixteen;
  for (int64_t k = first_nonzero; k < point; ++k) sixteen += k < digits ? digit(k) : '0';
  return sixteen <= "9007199254740992" ? IntegerCheck::kOk : IntegerCheck::kTooLarge;
}

}  // namespace citadel::serve::internal
