// IDX: the array format of the MNIST and Fashion-MNIST distributions (Yann
// LeCun's). Layout, every number big-endian:
//   bytes 0-1  zero (the magic's first half)
//   byte  2    element type: 0x08 ubyte, 0x09 sbyte, 0x0B int16, 0x0C int32,
//              0x0D float32, 0x0E float64
//   byte  3    number of dimensions (1 … 4 accepted)
//   then one uint32 per dimension, then the elements in row-major order.
// Parsing is strict: the data must be exactly product(dims) × element size
// bytes (a truncated file and trailing bytes are both errors) and that size
// must not overflow. Compression is not handled here: data/ingest gunzips
// `*-ubyte.gz` by content before calling ParseIdx.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace citadel::formats {

enum class IdxType : uint8_t {
  kU8 = 0x08,
  kI8 = 0x09,
  kI16 = 0x0B,
  kI32 = 0x0C,
  kF32 = 0x0D,
  kF64 = 0x0E,
};

// "ubyte", "sbyte", "int16", "int32", "float32", "float64".
std::string_view IdxTypeName(IdxType type);
size_t IdxTypeSize(IdxType type);
// The type for a type byte, or nullopt when the byte is not one of the six.
std::optional<IdxType> IdxTypeFromByte(uint8_t byte);

// A parsed IDX array: a view into the caller's bytes, which must outlive it.
// Immutable; safe to read from several threads.
struct IdxArray {
  IdxType type = IdxType::kU8;
  std::vector<uint32_t> dims;       // 1 … 4 entries
  std::span<const std::byte> data;  // the elements, big-endian, exactly size() × element size

  // Number of elements: the product of dims.
  size_t size() const;
  bool is_integer() const { return type != IdxType::kF32 && type != IdxType::kF64; }

  // Element i (row-major). Preconditions: i < size(); IntAt needs is_integer().
  int64_t IntAt(size_t i) const;
  double DoubleAt(size_t i) const;
};

// True when `bytes` starts like an IDX file (two zero bytes, a known type
// byte, 1 … 4 dimensions); used to recognise IDX by content.
bool LooksLikeIdx(std::span<const std::byte> bytes);

// Parses and validates `bytes` (uncompressed). `source` names the file in
// messages. Errors (InvalidArgument): fewer than 4 bytes, a bad magic, an
// unknown type byte, 0 or more than 4 dimensions, a header cut short, a data
// size that overflows 64 bits (zero dimensions counted as one, so even an
// empty array has a bounded shape), data shorter (truncated) or longer
// (trailing bytes) than the dimensions say.
Result<IdxArray> ParseIdx(std::span<const std::byte> bytes, std::string_view source = "IDX data");

}  // namespace citadel::formats
