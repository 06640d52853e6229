#include "formats/idx.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

namespace citadel::formats {
namespace {

constexpr size_t kMaxDims = 4;

uint64_t LoadBigEndian(const std::byte* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | std::to_integer<uint64_t>(p[i]);
  return v;
}

}  // namespace

std::string_view IdxTypeName(IdxType type) {
  switch (type) {
    case IdxType::kU8:
      return "ubyte";
    case IdxType::kI8:
      return "sbyte";
    case IdxType::kI16:
      return "int16";
    case IdxType::kI32:
      return "int32";
    case IdxType::kF32:
      return "float32";
    case IdxType::kF64:
      return "float64";
  }
  return "?";
}

size_t IdxTypeSize(IdxType type) {
  switch (type) {
    case IdxType::kU8:
    case IdxType::kI8:
      return 1;
    case IdxType::kI16:
      return 2;
    case IdxType::kI32:
    case IdxType::kF32:
      return 4;
    case IdxType::kF64:
      return 8;
  }
  return 0;
}

std::optional<IdxType> IdxTypeFromByte(uint8_t byte) {
  switch (byte) {
    case 0x08:
    case 0x09:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x0E:
      return static_cast<IdxType>(byte);
    default:
      return std::nullopt;
  }
}

size_t IdxArray::size() const {
  size_t n = 1;
  for (uint32_t d : dims) n *= d;  // ParseIdx proved this does not overflow
  return n;
}

int64_t IdxArray::IntAt(size_t i) const {
  const std::byte* p = data.data() + i * IdxTypeSize(type);
  switch (type) {
    case IdxType::kU8:
      return std::to_integer<uint8_t>(p[0]);
    case IdxType::kI8:
      return static_cast<int8_t>(std::to_integer<uint8_t>(p[0]));
    case IdxType::kI16:
      return static_cast<int16_t>(static_cast<uint16_t>(LoadBigEndian(p, 2)));
    case IdxType::kI32:
      return static_cast<int32_t>(static_cast<uint32_t>(LoadBigEndian(p, 4)));
    default:
      return 0;
  }
}

double IdxArray::DoubleAt(size_t i) const {
  const std::byte* p = data.data() + i * IdxTypeSize(type);
  switch (type) {
    case IdxType::kF32:
      return std::bit_cast<float>(static_cast<uint32_t>(LoadBigEndian(p, 4)));
    case IdxType::kF64:
      return std::bit_cast<double>(LoadBigEndian(p, 8));
    default:
      return static_cast<double>(IntAt(i));
  }
}

bool LooksLikeIdx(std::span<const std::byte> bytes) {
  if (bytes.size() < 4 || bytes[0] != std::byte{0} || bytes[1] != std::byte{0}) return false;
  uint8_t ndims = std::to_integer<uint8_t>(bytes[3]);
  return IdxTypeFromByte(std::to_integer<uint8_t>(bytes[2])).has_value() && ndims >= 1 &&
         ndims <= kMaxDims;
}

Result<IdxArray> ParseIdx(std::span<const std::byte> bytes, std::string_view source) {
  if (bytes.size() < 4) {
    return InvalidArgumentError(fmt::format(
        "{}: {} bytes is too short for an IDX header (4 bytes of magic); the file is truncated "
        "or not IDX",
        source, bytes.size()));
  }
  if (bytes[0] != std::byte{0} || bytes[1] != std::byte{0}) {
    return InvalidArgumentError(fmt::format(
        "{}: bad IDX magic {:02x} {:02x} (expected 00 00); the file is not an IDX array{}", source,
        std::to_integer<unsigned>(bytes[0]), std::to_integer<unsigned>(bytes[1]),
        bytes[0] == std::byte{0x1f} ? " (it looks gzip-compressed: decompress it first)" : ""));
  }
  uint8_t type_byte = std::to_integer<uint8_t>(bytes[2]);
  std::optional<IdxType> type = IdxTypeFromByte(type_byte);
  if (!type) {
    return InvalidArgumentError(fmt::format(
        "{}: unknown IDX element type 0x{:02x} (known: 0x08 ubyte, 0x09 sbyte, 0x0B int16, "
        "0x0C int32, 0x0D float32, 0x0E float64)",
        source, type_byte));
  }
  size_t ndims = std::to_integer<size_t>(bytes[3]);
  if (ndims < 1 || ndims > kMaxDims) {
    return InvalidArgumentError(fmt::format(
        "{}: IDX array has {} dimensions; 1 to {} are supported", source, ndims, kMaxDims));
  }
  size_t header = 4 + 4 * ndims;
  if (bytes.size() < header) {
    return InvalidArgumentError(
        fmt::format("{}: truncated IDX header: {} dimensions need {} header bytes, the file has {}",
                    source, ndims, header, bytes.size()));
  }
  IdxArray array;
  array.type = *type;
  uint64_t expected = IdxTypeSize(*type);
  // The overflow check counts a zero dimension as one, so that the shape of
  // an empty array is still bounded (its other dimensions become columns).
  uint64_t bound = expected;
  bool overflow = false;
  for (size_t i = 0; i < ndims; ++i) {
    uint32_t d = static_cast<uint32_t>(LoadBigEndian(bytes.data() + 4 + 4 * i, 4));
    array.dims.push_back(d);
    expected *= d;  // cannot overflow where `bound` does not: expected ≤ bound
    overflow =
        overflow || __builtin_mul_overflow(bound, uint64_t{std::max<uint32_t>(d, 1)}, &bound);
  }
  std::string shape;
  for (uint32_t d : array.dims) shape += fmt::format("{}{}", shape.empty() ? "" : " × ", d);
  if (overflow || expected > std::numeric_limits<size_t>::max() - header) {
    return InvalidArgumentError(
        fmt::format("{}: IDX dimensions {} of {} overflow a 64-bit size; the header is corrupt",
                    source, shape, IdxTypeName(*type)));
  }
  uint64_t actual = bytes.size() - header;
  if (actual != expected) {
    return InvalidArgumentError(fmt::format(
        "{}: IDX dimensions {} of {} need {} data bytes, the file has {} ({}); re-download or "
        "re-create the file",
        source, shape, IdxTypeName(*type), expected, actual,
        actual < expected ? "truncated" : "trailing bytes after the data"));
  }
  array.data = bytes.subspan(header);
  return array;
}

}  // namespace citadel::formats
