// Large buffers and the kernel: transparent huge pages, and reuse of freed
// large blocks. Both are applied by Citadel's global operator new
// (huge_page_new.cc, linked into executables only); see there for why.
#pragma once

#include <cstddef>

namespace citadel {

// Blocks this large or larger are advised (numpy's threshold).
inline constexpr std::size_t kHugePageAdviceMin = std::size_t{4} << 20;
// The x86-64 / arm64 (4 KiB granule) transparent huge page.
inline constexpr std::size_t kHugePageSize = std::size_t{2} << 20;

// Whether large blocks are advised for huge pages: yes, unless the
// environment sets CITADEL_HUGE_PAGES to off, 0, false or never. The way out
// for a kernel whose THP defrag setting makes the first faults stall in
// memory compaction (read at each large allocation, which is rare).
bool HugePagesWanted();

// Asks the kernel to back the whole pages inside [data, data + size) with
// huge pages where it can. Best effort: returns whether the kernel took the
// advice (false where THP is disabled or the range holds no whole page).
bool AdviseHugePages(void* data, std::size_t size);

// While one of these is alive (in any thread), large blocks (kHugePageAdviceMin
// or more) that are freed are kept, up to kMaxRetainedBytes, and handed to
// later allocations of about their size instead of being returned to the
// kernel and faulted in afresh. For batch work that frees and allocates
// column-sized buffers over and over (a data step); a server never opens one,
// so it holds no memory it does not use. When the last scope ends, every kept
// block is released.
class LargeBlockRetention {
 public:
  static constexpr std::size_t kMaxRetainedBytes = std::size_t{512} << 20;

  LargeBlockRetention();
  ~LargeBlockRetention();
  LargeBlockRetention(const LargeBlockRetention&) = delete;
  LargeBlockRetention& operator=(const LargeBlockRetention&) = delete;

  // Bytes held for reuse now (for tests and diagnostics).
  static std::size_t RetainedBytes();
};

// The operator new's side of LargeBlockRetention. `capacity` is a multiple of
// kHugePageSize. TakeRetainedBlock returns a kept block of at least
// `capacity` bytes (and at most a quarter more), or nullptr; on a miss it
// releases kept blocks worth `capacity`, so that blocks no request fits do
// not add to the resident set. RetainBlock keeps `block` (returns true) if a
// scope is open and the limit allows.
void* TakeRetainedBlock(std::size_t capacity);
bool RetainBlock(void* block, std::size_t capacity);

}  // namespace citadel
