#include "base/memory/heap_reuse.h"

#include <malloc.h>

#include <algorithm>
#include <climits>

namespace citadel {

bool KeepFreedHeapMemory(std::size_t keep_top_bytes) {
  // Both settings are needed: with only the first, the freed blocks come
  // back from the heap's top to the kernel at the next trim; with only the
  // second, glibc stops raising its mmap threshold and maps every large
  // block afresh.
  const int top = static_cast<int>(std::min<std::size_t>(keep_top_bytes, INT_MAX));
  const bool mapped = mallopt(M_MMAP_THRESHOLD, static_cast<int>(kHeapBlockMax)) == 1;
  const bool trimmed = mallopt(M_TRIM_THRESHOLD, top) == 1;
  return mapped && trimmed;
}

}  // namespace citadel
