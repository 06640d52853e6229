// The OIP datatype table behind oip_dtype.h, and the public datatype and
// shape queries of oip_codec.h (IsOipDatatype, DatatypeElementSize,
// Tensor::ElementCount).
#include "serve/protocol/oip_dtype.h"

#include "serve/protocol/oip_codec.h"

namespace citadel::serve {
namespace internal {
namespace {

// 2^53: every integer up to here is exact in a double.
constexpr double kMaxExactInteger = 9007199254740992.0;

constexpr DtypeInfo kDtypes[] = {
    {"BOOL", Dtype::kBool, 1, 0, 1},
    {"UINT8", Dtype::kUint8, 1, 0, 255},
    {"UINT16", Dtype::kUint16, 2, 0, 65535},
    {"UINT32", Dtype::kUint32, 4, 0, 4294967295.0},
    {"UINT64", Dtype::kUint64, 8, 0, kMaxExactInteger},
    {"INT8", Dtype::kInt8, 1, -128, 127},
    {"INT16", Dtype::kInt16, 2, -32768, 32767},
    {"INT32", Dtype::kInt32, 4, -2147483648.0, 2147483647.0},
    {"INT64", Dtype::kInt64, 8, -kMaxExactInteger, kMaxExactInteger},
    {"FP16", Dtype::kFp16, 2, 0, 0},
    {"FP32", Dtype::kFp32, 4, 0, 0},
    {"FP64", Dtype::kFp64, 8, 0, 0},
    {"BYTES", Dtype::kBytes, 0, 0, 0},
};

}  // namespace

const DtypeInfo* FindDtype(std::string_view name) {
  for (const DtypeInfo& info : kDtypes) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

}  // namespace internal

using internal::DtypeInfo;
using internal::FindDtype;

// ---------------------------------------------------------------------------
// Public API (oip_codec.h)

int64_t Tensor::ElementCount() const {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim == 0) return 0;
    if (dim < 0 || __builtin_mul_overflow(count, dim, &count)) return -1;
  }
  return count;
}

bool IsOipDatatype(std::string_view datatype) { return FindDtype(datatype) != nullptr; }

size_t DatatypeElementSize(std::string_view datatype) {
  const DtypeInfo* info = FindDtype(datatype);
  return info == nullptr ? 0 : info->size;
}

}  // namespace citadel::serve
