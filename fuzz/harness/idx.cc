// IDX harness: an array ParseIdx accepts holds exactly size() elements of
// its type, and reading any of them stays inside the data.
#include "formats/idx.h"

#include <cstddef>
#include <span>

#include "harness/harness.h"

namespace citadel::fuzz {

void FuzzIdx(std::string_view data) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data.data()),
                                         data.size());
  (void)formats::LooksLikeIdx(bytes);
  Result<formats::IdxArray> array = formats::ParseIdx(bytes, "fuzz");
  if (!array.ok()) return;
  FUZZ_CHECK(array->dims.size() >= 1 && array->dims.size() <= 4);
  FUZZ_CHECK(array->data.size() == array->size() * formats::IdxTypeSize(array->type));
  FUZZ_CHECK(array->data.data() >= bytes.data() &&
             array->data.data() + array->data.size() <= bytes.data() + bytes.size());
  // The first and last elements: enough to catch a wrong stride or offset.
  const size_t n = array->size();
  for (size_t i : {size_t{0}, n / 2, n - 1}) {
    if (i >= n) continue;
    if (array->is_integer()) {
      (void)array->IntAt(i);
    } else {
      (void)array->DoubleAt(i);
    }
  }
}

}  // namespace citadel::fuzz
