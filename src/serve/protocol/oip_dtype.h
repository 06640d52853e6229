// Internal to the OIP codec: the thirteen OIP datatypes (name, width,
// integer range) and the number conversions that both decoding and
// encoding apply per element — IEEE half precision, double → float,
// saturating double → integer, little-endian loads and stores.
//
// The conversions are defined inline here because they run once per
// tensor element, in the decoder's and the encoder's inner loops.
#pragma once

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace citadel::serve::internal {

// ---------------------------------------------------------------------------
// Datatypes

// The OIP datatypes, as a switch can name them (the table maps the names).
enum class Dtype : uint8_t {
  kBool,
  kUint8,
  kUint16,
  kUint32,
  kUint64,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kFp16,
  kFp32,
  kFp64,
  kBytes,
};

// One row of the datatype table; shared so that the decoder and the
// encoder agree on every datatype's width and range.
struct DtypeInfo {
  std::string_view name;
  Dtype type;
  size_t size;      // bytes per element in binary; 0 for BYTES
  double min, max;  // integer range (INT64/UINT64 cut to ±2^53)
};

// The table row of an OIP datatype name (case-sensitive); null if none.
// Shared: both directions look up each tensor's datatype.
const DtypeInfo* FindDtype(std::string_view name);

// Whether `t` is one of the eight integer datatypes, whose JSON elements the
// decoder checks are exact integers.
inline bool IsInteger(Dtype t) { return t >= Dtype::kUint8 && t <= Dtype::kInt64; }

// ---------------------------------------------------------------------------
// IEEE half precision, converted directly from and to double so that a value
// is rounded once (double → float → half would round twice).

// FP16 elements: parsed JSON values are rounded to half, binary ones stored.
inline uint16_t DoubleToHalfBits(double value) {
  const uint16_t sign = std::signbit(value) ? 0x8000 : 0;
  const double a = std::fabs(value);
  if (std::isnan(a)) return sign | 0x7e00;
  if (a >= 65520.0) return sign | 0x7c00;  // rounds past 65504, the largest half
  if (a < 0x1p-14) {
    // Subnormal: a multiple of 2^-24. Scaling by 2^24 is exact, and
    // nearbyint rounds half to even in the default rounding mode.
    return sign | static_cast<uint16_t>(std::nearbyint(a * 0x1p24));
  }
  int exponent;
  std::frexp(a, &exponent);                                 // a = f · 2^exponent, f in [0.5, 1)
  int e = exponent - 1;                                     // a = m · 2^e, m in [1, 2)
  double mantissa = std::nearbyint(std::ldexp(a, 10 - e));  // in [1024, 2048]
  if (mantissa == 2048) {
    mantissa = 1024;
    ++e;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | static_cast<uint16_t>(((e + 15) << 10) | (static_cast<int>(mantissa) - 1024));
}

// FP16 elements read from binary data, and parsed values held as half.
inline double HalfBitsToDouble(uint16_t bits) {
  const int exponent = (bits >> 10) & 0x1f;
  const int mantissa = bits & 0x3ff;
  double magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(mantissa, -24);
  } else if (exponent == 31) {
    magnitude = mantissa ? std::numeric_limits<double>::quiet_NaN()
                         : std::numeric_limits<double>::infinity();
  } else {
    magnitude = std::ldexp(mantissa + 1024, exponent - 25);
  }
  return (bits & 0x8000) ? -magnitude : magnitude;
}

// double → float without the undefined behaviour of converting a finite
// value beyond float's range: IEEE rounding, spelled out at the edge. FP32
// elements are parsed, printed and stored through it.
inline float DoubleToFloat(double value) {
  constexpr double kOverflow = 0x1.ffffffp127;  // FLT_MAX + half an ulp: rounds to inf
  if (std::isfinite(value) && std::fabs(value) > FLT_MAX) {
    if (std::fabs(value) >= kOverflow) return value > 0 ? INFINITY : -INFINITY;
    return value > 0 ? FLT_MAX : -FLT_MAX;
  }
  return static_cast<float>(value);
}

// A double (assumed integral) to an integer type, saturating instead of
// the undefined behaviour of an out-of-range conversion; NaN gives 0. The
// encoder stores integer elements through it.
template <typename T>
T SaturatingCast(double value) {
  if (std::isnan(value)) return 0;
  // Bounds as doubles: max+1 is a power of two, exact even for 64 bits.
  constexpr double kLow = static_cast<double>(std::numeric_limits<T>::min());
  constexpr double kHighPlusOne = 2.0 * static_cast<double>(std::numeric_limits<T>::max() / 2 + 1);
  if (value < kLow) return std::numeric_limits<T>::min();
  if (value >= kHighPlusOne) return std::numeric_limits<T>::max();
  return static_cast<T>(value);
}

// ---------------------------------------------------------------------------
// Little-endian loads and stores: the binary extension's byte order,
// whatever the host's (LoadLe decodes, StoreLe encodes).

template <typename T>
T LoadLe(const char* p) {
  T value;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&value, p, sizeof(T));
  } else {
    using U = std::conditional_t<
        sizeof(T) == 1, uint8_t,
        std::conditional_t<sizeof(T) == 2, uint16_t,
                           std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;
    U bits = 0;
    for (size_t i = 0; i < sizeof(T); ++i)
      bits |= static_cast<U>(static_cast<uint8_t>(p[i])) << (8 * i);
    std::memcpy(&value, &bits, sizeof(T));
  }
  return value;
}

template <typename T>
void StoreLe(std::string& out, T value) {
  char bytes[sizeof(T)];
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(bytes, &value, sizeof(T));
  } else {
    std::memcpy(bytes, &value, sizeof(T));
    for (size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(bytes[i], bytes[sizeof(T) - 1 - i]);
  }
  out.append(bytes, sizeof(T));
}

}  // namespace citadel::serve::internal
