// base_test links citadel::huge_page_new, so `new` here is Citadel's.
#include "base/system/huge_pages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace citadel {
namespace {

// The VmFlags line of the mapping in /proc/self/smaps that holds `address`.
std::string VmFlagsOf(const void* address) {
  const auto where = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t begin = 0, end = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> begin >> dash >> end && dash == '-') {
      inside = begin <= where && where < end;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

// Whether this kernel offers transparent huge pages at all.
bool KernelHasThp() {
  std::ifstream mode("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string text;
  std::getline(mode, text);
  return !text.empty() && text.find("[never]") == std::string::npos;
}

TEST(HugePageNew, LargeBlocksAreAlignedAndAdvised) {
  auto block = std::make_unique<char[]>(kHugePageAdviceMin);
  const auto address = reinterpret_cast<std::uintptr_t>(block.get());
  EXPECT_EQ(address % kHugePageSize, 0u);
  // make_unique value-initialises: the block is usable memory, zero-filled.
  EXPECT_EQ(block[0], 0);
  EXPECT_EQ(block[kHugePageAdviceMin - 1], 0);
  if (KernelHasThp()) {
    // "hg": the kernel recorded MADV_HUGEPAGE for this range.
    EXPECT_NE(VmFlagsOf(block.get() + kHugePageSize).find(" hg"), std::string::npos)
        << VmFlagsOf(block.get() + kHugePageSize);
  }
}

TEST(HugePageNew, ContainersGetTheAdviceThroughStdAllocator) {
  std::vector<double> column(kHugePageAdviceMin / sizeof(double) + 1, 1.5);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(column.data()) % kHugePageSize, 0u);
  EXPECT_EQ(column.back(), 1.5);
  if (KernelHasThp()) {
    EXPECT_NE(VmFlagsOf(column.data() + column.size() / 2).find(" hg"), std::string::npos);
  }
}

TEST(AdviseHugePages, RangesWithoutAWholePageAreRefused) {
  alignas(4096) static char page[2 * 4096];
  EXPECT_FALSE(AdviseHugePages(page + 1, 4096));  // no whole page inside
  EXPECT_FALSE(AdviseHugePages(page, 0));
}

}  // namespace
}  // namespace citadel
