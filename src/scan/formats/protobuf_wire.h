// The protocol buffers wire format, read field by field from untrusted
// bytes with no schema and no allocation: varints (at most 10 bytes),
// fixed 32- and 64-bit values and length-delimited fields, whose length
// is checked against the bytes that remain. Groups (wire types 3 and 4,
// deprecated and never written by ONNX) are refused. Used by the ONNX
// reader (onnx.h), which knows which fields are messages and bounds how
// deep it follows them.
//
// Thread-compatible; a reader is a cursor over one message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace citadel::scan {

enum class WireType { kVarint = 0, kFixed64 = 1, kLength = 2, kFixed32 = 5 };

struct WireField {
  uint32_t number = 0;
  WireType type = WireType::kVarint;
  uint64_t value = 0;         // varint and fixed values
  std::string_view bytes;     // a length-delimited field's content
  uint64_t offset = 0;        // of the field's tag, from the outermost message's start
  uint64_t bytes_offset = 0;  // of `bytes`, likewise
};

class WireReader {
 public:
  // `message` begins at `base` in the outermost message (for offsets).
  explicit WireReader(std::string_view message, uint64_t base = 0) : data_(message), base_(base) {}

  // The next field; false at the end of the message or on malformed
  // bytes (then error() says what, at error_offset()).
  bool Next(WireField& field);

  const std::optional<std::string>& error() const { return error_; }
  uint64_t error_offset() const { return error_offset_; }

 private:
  bool Varint(uint64_t& out);
  bool Fail(uint64_t at, std::string what);

  std::string_view data_;
  uint64_t base_;
  uint64_t pos_ = 0;
  std::optional<std::string> error_;
  uint64_t error_offset_ = 0;
};

}  // namespace citadel::scan
