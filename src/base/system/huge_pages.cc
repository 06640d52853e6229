#include "base/system/huge_pages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace citadel {

bool AdviseHugePages(void* data, std::size_t size) {
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  // madvise wants a page-aligned start; the partial pages at either end are
  // shared with other blocks and are left alone.
  const std::uintptr_t first = (begin + page - 1) / page * page;
  const std::uintptr_t last = (begin + size) / page * page;
  if (last <= first) return false;
  return madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE) == 0;
}

}  // namespace citadel
