// The global operator new and delete of Citadel's executables. Blocks under
// 4 MiB are plain malloc and free, as with the default ones. A block of 4 MiB
// or more is
//   - rounded up to whole 2 MiB pages, aligned to 2 MiB and advised for
//     transparent huge pages (unless CITADEL_HUGE_PAGES=off);
//   - when freed inside a LargeBlockRetention scope, kept and handed to a
//     later request of about its size (huge_pages.h).
//
// Why: a data step fills hundreds of MB of fresh column buffers, and every
// first touch of a 4 KiB page is a fault. Under a hypervisor a fault costs
// several microseconds, and memory the process returned to the kernel comes
// back through the same faults, zeroed again. perf on the process step (1M
// rows): a quarter of its time was page faults, ~110k of them. A 2 MiB page
// takes one fault where 512 small ones were taken (and fewer TLB misses
// follow); Linux's THP mode on many distributions is `madvise`, which gives
// huge pages only to memory that asks — numpy asks for every array of 4 MiB
// or more, and so do we. Reuse then skips the faults altogether for the
// column-sized buffers a pipeline frees and allocates stage after stage.
//
// Linked as an object library (citadel::huge_page_new) into executables
// only: a replacement operator new belongs to a program, not to a library.
#include <malloc.h>

#include <cstdint>
#include <cstdlib>
#include <new>

#include "base/memory/huge_pages.h"

namespace {

using citadel::kHugePageAdviceMin;
using citadel::kHugePageSize;

void* AllocateOrNull(std::size_t size) {
  if (size < kHugePageAdviceMin) return std::malloc(size == 0 ? 1 : size);
  if (size > SIZE_MAX - kHugePageSize) return nullptr;  // rounding up would wrap
  const std::size_t capacity = (size + kHugePageSize - 1) / kHugePageSize * kHugePageSize;
  if (void* block = citadel::TakeRetainedBlock(capacity)) return block;
  void* block = nullptr;
  if (posix_memalign(&block, kHugePageSize, capacity) != 0) return nullptr;
  if (citadel::HugePagesWanted()) citadel::AdviseHugePages(block, capacity);
  return block;
}

// The standard's contract: on failure call the new-handler until it gives
// up, then throw std::bad_alloc.
void* Allocate(std::size_t size) {
  for (;;) {
    if (void* block = AllocateOrNull(size)) return block;
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void Release(void* block) {
  if (block == nullptr) return;
  // Ours are the 2 MiB-aligned blocks with 4 MiB or more usable (a plain
  // malloc block just under 4 MiB can have that much usable, but sits 16
  // bytes past a page start). The usable size is at least the capacity
  // allocated, a multiple of the huge page, and can be one huge page more
  // where glibc kept the alignment slack at the end.
  const std::size_t usable = malloc_usable_size(block);
  if (usable >= kHugePageAdviceMin &&
      reinterpret_cast<std::uintptr_t>(block) % kHugePageSize == 0 &&
      citadel::RetainBlock(block, usable / kHugePageSize * kHugePageSize)) {
    return;
  }
  std::free(block);
}

}  // namespace

// libstdc++'s nothrow forms call these; the aligned (align_val_t) forms are
// libstdc++'s own, aligned_alloc and free, and never meet these.
void* operator new(std::size_t size) { return Allocate(size); }
void* operator new[](std::size_t size) { return Allocate(size); }
void operator delete(void* block) noexcept { Release(block); }
void operator delete[](void* block) noexcept { Release(block); }
// Sized deletes (what std::allocator calls) skip the usable-size lookup for
// the small blocks that are nearly all of them.
void operator delete(void* block, std::size_t size) noexcept {
  size < kHugePageAdviceMin ? std::free(block) : Release(block);
}
void operator delete[](void* block, std::size_t size) noexcept {
  size < kHugePageAdviceMin ? std::free(block) : Release(block);
}
