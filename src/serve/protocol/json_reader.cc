// The rarely taken paths of JsonReader (json_reader.h): syntax errors with
// their byte offset, \u escapes, and reading a whole value into a Json
// (parameters objects) or skipping it (members nobody reads).
#include "serve/protocol/json_reader.h"

#include <fmt/format.h>

namespace citadel::serve::internal {

// A token quoted in a message, cut short: a number may be megabytes long.
std::string Quote(std::string_view token) {
  constexpr size_t kMax = 40;
  if (token.size() <= kMax) return std::string(token);
  return fmt::format("{}…", token.substr(0, kMax));
}

Status JsonReader::SyntaxErrorAt(size_t at, std::string_view what) const {
  if (begin_ + at >= end_) {
    return InvalidArgumentError(
        fmt::format("body is not JSON: it ends early at byte {} ({})", at, what));
  }
  return InvalidArgumentError(fmt::format("body is not JSON: {} at byte {}", what, at));
}

// Any JSON value, into `*out` (or only checked and skipped when out is
// null). Duplicate object keys: the last wins, as with nlohmann.
Status JsonReader::ReadValue(Json* out, int depth) {
  if (depth > kMaxDepth) return SyntaxError(fmt::format("nesting deeper than {}", kMaxDepth));
  const char c = Peek();
  if (c == '{') {
    ++p_;
    if (out) *out = Json::object();
    bool first = true;
    std::string key;
    for (;;) {
      bool done;
      OIP_RETURN_IF_ERROR(NextMember(&first, &key, &done));
      if (done) return Status::Ok();
      if (out) {
        Json value;
        OIP_RETURN_IF_ERROR(ReadValue(&value, depth + 1));
        (*out)[key] = std::move(value);
      } else {
        OIP_RETURN_IF_ERROR(ReadValue(nullptr, depth + 1));
      }
    }
  }
  if (c == '[') {
    ++p_;
    if (out) *out = Json::array();
    bool first = true;
    for (;;) {
      bool done;
      OIP_RETURN_IF_ERROR(NextElement(&first, &done));
      if (done) return Status::Ok();
      if (out) {
        out->push_back(Json());
        OIP_RETURN_IF_ERROR(ReadValue(&out->back(), depth + 1));
      } else {
        OIP_RETURN_IF_ERROR(ReadValue(nullptr, depth + 1));
      }
    }
  }
  if (c == '"') {
    std::string text;
    OIP_RETURN_IF_ERROR(ReadString(&text));
    if (out) *out = std::move(text);
    return Status::Ok();
  }
  if (c == '-' || IsDigit(c)) {
    std::string_view token;
    OIP_RETURN_IF_ERROR(ReadNumberToken(&token));
    if (out) OIP_RETURN_IF_ERROR(NumberToJson(token, out));
    return Status::Ok();
  }
  std::string_view literal;
  OIP_RETURN_IF_ERROR(ReadLiteral(&literal));
  if (out) {
    if (literal == "null") {
      *out = nullptr;
    } else {
      *out = literal == "true";
    }
  }
  return Status::Ok();
}

int JsonReader::HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status JsonReader::ReadHex4(uint32_t* value) {
  if (remaining() < 4) return SyntaxError("truncated \\u escape");
  *value = 0;
  for (int i = 0; i < 4; ++i) {
    const int digit = HexValue(p_[i]);
    if (digit < 0) return SyntaxError("invalid \\u escape");
    *value = (*value << 4) | static_cast<uint32_t>(digit);
  }
  p_ += 4;
  return Status::Ok();
}

// After "\u": one code point, a surrogate pair joined, as UTF-8.
Status JsonReader::ReadUnicodeEscape(std::string* out) {
  uint32_t code;
  OIP_RETURN_IF_ERROR(ReadHex4(&code));
  if (code >= 0xDC00 && code <= 0xDFFF) return SyntaxError("lone low surrogate in a \\u escape");
  if (code >= 0xD800 && code <= 0xDBFF) {
    if (remaining() < 2 || p_[0] != '\\' || p_[1] != 'u') {
      return SyntaxError("high surrogate without its low half in a \\u escape");
    }
    p_ += 2;
    uint32_t low;
    OIP_RETURN_IF_ERROR(ReadHex4(&low));
    if (low < 0xDC00 || low > 0xDFFF) {
      return SyntaxError("high surrogate without its low half in a \\u escape");
    }
    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
  }
  if (code < 0x80) {
    out->push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code >> 6)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
  return Status::Ok();
}

// Integers stay integers (int64 or uint64, as nlohmann keeps them);
// anything else, or an integer too large for 64 bits, is a double.
Status JsonReader::NumberToJson(std::string_view token, Json* out) {
  const bool integral = token.find_first_of(".eE") == std::string_view::npos;
  if (integral) {
    const char* first = token.data();
    const char* last = token.data() + token.size();
    if (token[0] == '-') {
      int64_t v;
      const auto r = std::from_chars(first, last, v);
      if (r.ec == std::errc() && r.ptr == last) {
        *out = v;
        return Status::Ok();
      }
    } else {
      uint64_t v;
      const auto r = std::from_chars(first, last, v);
      if (r.ec == std::errc() && r.ptr == last) {
        *out = v;
        return Status::Ok();
      }
    }
  }
  double v;
  OIP_RETURN_IF_ERROR(TokenToDouble(token, &v));
  *out = v;
  return Status::Ok();
}

}  // namespace citadel::serve::internal
