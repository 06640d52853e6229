#include "scan/formats/protobuf_wire.h"

#include <fmt/format.h>

#include "scan/formats/little_endian.h"

namespace citadel::scan {

bool WireReader::Fail(uint64_t at, std::string what) {
  error_ = std::move(what);
  error_offset_ = base_ + at;
  pos_ = data_.size();
  return false;
}

bool WireReader::Varint(uint64_t& out) {
  out = 0;
  const uint64_t start = pos_;
  for (int shift = 0; shift < 70; shift += 7) {
    if (pos_ >= data_.size()) return Fail(start, "a varint runs past the end of its message");
    const auto byte = static_cast<unsigned char>(data_[pos_++]);
    if (shift < 64) out |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return Fail(start, "a varint longer than 10 bytes");
}

bool WireReader::Next(WireField& field) {
  if (error_ || pos_ >= data_.size()) return false;
  const uint64_t at = pos_;
  uint64_t tag = 0;
  if (!Varint(tag)) return false;
  const uint64_t number = tag >> 3;
  if (number == 0 || number > 0x1fffffff) {
    return Fail(at, fmt::format("field number {} is out of range", number));
  }
  field = WireField{};
  field.number = static_cast<uint32_t>(number);
  field.offset = base_ + at;
  switch (tag & 7) {
    case 0:
      field.type = WireType::kVarint;
      return Varint(field.value);
    case 1:
      if (data_.size() - pos_ < 8) return Fail(at, "a fixed64 field runs past the end");
      field.type = WireType::kFixed64;
      field.value = LoadLittleEndian(data_, pos_, 8);
      pos_ += 8;
      return true;
    case 2: {
      uint64_t length = 0;
      if (!Varint(length)) return false;
      if (length > data_.size() - pos_) {
        return Fail(at, fmt::format("field {} claims {} bytes, {} remain", number, length,
                                    data_.size() - pos_));
      }
      field.type = WireType::kLength;
      field.bytes = data_.substr(pos_, length);
      field.bytes_offset = base_ + pos_;
      pos_ += length;
      return true;
    }
    case 5:
      if (data_.size() - pos_ < 4) return Fail(at, "a fixed32 field runs past the end");
      field.type = WireType::kFixed32;
      field.value = LoadLittleEndian(data_, pos_, 4);
      pos_ += 4;
      return true;
    default:
      return Fail(at, fmt::format("field {} has wire type {} (groups and unknown types are not "
                                  "valid here)",
                                  number, tag & 7));
  }
}

}  // namespace citadel::scan
