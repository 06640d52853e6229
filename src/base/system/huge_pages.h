// Transparent huge pages for large buffers (see huge_page_new.cc for why).
#pragma once

#include <cstddef>

namespace citadel {

// Blocks this large or larger are advised (numpy's threshold).
inline constexpr std::size_t kHugePageAdviceMin = std::size_t{4} << 20;
// The x86-64 / arm64 (4 KiB granule) transparent huge page.
inline constexpr std::size_t kHugePageSize = std::size_t{2} << 20;

// Asks the kernel to back the whole pages inside [data, data + size) with
// huge pages where it can. Best effort: returns whether the kernel took the
// advice (false where THP is disabled or the range holds no whole page).
bool AdviseHugePages(void* data, std::size_t size);

}  // namespace citadel
