// The global operator new of Citadel's executables: a block of 4 MiB or more
// is aligned to 2 MiB and advised for transparent huge pages; smaller ones
// are plain malloc, as with the default operator new.
//
// Why: a data step fills hundreds of MB of fresh column buffers, and every
// first touch of a 4 KiB page is a fault. Under a hypervisor a fault costs
// several microseconds, so the faults, not the parsing or arithmetic, were
// the largest single cost of `kind: process` (perf: a quarter of its time,
// ~110k faults for a 1M-row CSV). A 2 MiB page takes one fault where 512
// small ones were taken, and fewer TLB misses follow. Linux's default THP
// mode on many distributions is `madvise`, which gives huge pages only to
// memory that asks for them — numpy asks for every array of 4 MiB or more,
// and so do we, with the same threshold.
//
// Every block still comes from the malloc family, so the default operator
// delete (free) releases it; only operator new is replaced. The advice is
// best effort: where THP is off, madvise fails and nothing changes.
//
// Linked as an object library (citadel::huge_page_new) into executables
// only: a replacement operator new belongs to a program, not to a library.
#include <sys/mman.h>

#include <cstdlib>
#include <new>

#include "base/system/huge_pages.h"

namespace {

void* AllocateOrNull(std::size_t size) {
  if (size < citadel::kHugePageAdviceMin) return std::malloc(size == 0 ? 1 : size);
  void* block = nullptr;
  if (posix_memalign(&block, citadel::kHugePageSize, size) != 0) return nullptr;
  citadel::AdviseHugePages(block, size);
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

}  // namespace

// libstdc++'s nothrow forms and operator new[] call these, so two suffice.
void* operator new(std::size_t size) { return Allocate(size); }
void* operator new[](std::size_t size) { return Allocate(size); }
