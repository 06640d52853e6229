// base_test links citadel::huge_page_new, so `new` here is Citadel's.
#include "base/memory/huge_pages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <new>
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

// Allocates and frees `bytes`, a pair the compiler must not elide.
void AllocateAndFree(size_t bytes) {
  char* block = new char[bytes];
  asm volatile("" : : "g"(block) : "memory");
  delete[] block;
}

// Whether this kernel offers transparent huge pages at all, and this
// process can see its mappings' flags (a sandbox may hide /proc/self/smaps).
bool KernelHasThp() {
  std::ifstream mode("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string text;
  std::getline(mode, text);
  static const int probe = 0;
  return !text.empty() && text.find("[never]") == std::string::npos && !VmFlagsOf(&probe).empty();
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

TEST(HugePageNew, TheEnvironmentCanTurnTheAdviceOff) {
  if (!KernelHasThp()) GTEST_SKIP() << "no transparent huge pages on this kernel";
  ASSERT_EQ(setenv("CITADEL_HUGE_PAGES", "off", 1), 0);
  EXPECT_FALSE(HugePagesWanted());
  // 64 MiB: above glibc's largest mmap threshold, so a fresh mapping rather
  // than heap memory an earlier block may have advised. Never touched.
  std::unique_ptr<char[]> plain(new char[64 << 20]);
  EXPECT_EQ(VmFlagsOf(plain.get() + kHugePageSize).find(" hg"), std::string::npos)
      << VmFlagsOf(plain.get() + kHugePageSize);
  ASSERT_EQ(setenv("CITADEL_HUGE_PAGES", "on", 1), 0);
  EXPECT_TRUE(HugePagesWanted());
  ASSERT_EQ(unsetenv("CITADEL_HUGE_PAGES"), 0);
  EXPECT_TRUE(HugePagesWanted());
}

TEST(HugePageNew, AnImpossibleSizeIsBadAllocNotAWrappedSmallBlock) {
  // Rounding SIZE_MAX - 100 up to whole huge pages would wrap to a tiny size.
  // (volatile: the compiler would refuse the constant as an object size.)
  volatile size_t huge = SIZE_MAX - 100;
  EXPECT_THROW(static_cast<void>(::operator new(huge)), std::bad_alloc);
  EXPECT_EQ(::operator new(huge, std::nothrow), nullptr);
}

TEST(HugePageNew, ContainersGetTheAdviceThroughStdAllocator) {
  std::vector<double> column(kHugePageAdviceMin / sizeof(double) + 1, 1.5);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(column.data()) % kHugePageSize, 0u);
  EXPECT_EQ(column.back(), 1.5);
  if (KernelHasThp()) {
    EXPECT_NE(VmFlagsOf(column.data() + column.size() / 2).find(" hg"), std::string::npos);
  }
}

// A kept block counts its usable size: its capacity, or one huge page more
// where glibc left the alignment slack at its end (a rare placement).
void ExpectRetained(size_t capacity, size_t blocks) {
  const size_t retained = LargeBlockRetention::RetainedBytes();
  EXPECT_GE(retained, capacity);
  EXPECT_LE(retained, capacity + blocks * kHugePageSize);
}

TEST(LargeBlockRetention, AFreedBlockIsReusedOnlyInsideAScope) {
  constexpr size_t kBytes = 8 << 20;
  {
    LargeBlockRetention retain;
    char* first = new char[kBytes];
    first[12345] = 'k';
    const auto first_address = reinterpret_cast<std::uintptr_t>(first);
    delete[] first;
    ExpectRetained(kBytes, 1);
    // About the same size (within a quarter): the same block, not zeroed
    // again by the kernel. (The barrier: reading bytes this new-expression
    // did not write is otherwise the compiler's to assume anything of.)
    char* second = new char[kBytes - 100];
    asm volatile("" : : "g"(second) : "memory");
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(second), first_address);
    EXPECT_EQ(second[12345], 'k');
    EXPECT_EQ(LargeBlockRetention::RetainedBytes(), 0u);
    delete[] second;
    ExpectRetained(kBytes, 1);
  }
  EXPECT_EQ(LargeBlockRetention::RetainedBytes(), 0u) << "the last scope releases every block";
  AllocateAndFree(kBytes);
  EXPECT_EQ(LargeBlockRetention::RetainedBytes(), 0u) << "no scope: freed, not kept";
}

TEST(LargeBlockRetention, BlocksNoRequestFitsAreReleasedOnAMiss) {
  LargeBlockRetention retain;
  char* six = new char[6 << 20];
  char* eight = new char[8 << 20];
  asm volatile("" : : "g"(six), "g"(eight) : "memory");
  delete[] six;
  delete[] eight;
  ExpectRetained(size_t{14} << 20, 2);
  // 4 MiB is more than a quarter smaller than either kept block: a fresh
  // block, and the oldest kept block (6 MiB ≥ 4 MiB) is given back.
  auto small = std::make_unique<char[]>(4 << 20);
  ExpectRetained(size_t{8} << 20, 1);
  // 40 MiB: nothing fits, and everything kept is worth less than it.
  auto big = std::make_unique<char[]>(40 << 20);
  EXPECT_EQ(LargeBlockRetention::RetainedBytes(), 0u);
}

TEST(LargeBlockRetention, KeepsNoMoreThanTheLimit) {
  LargeBlockRetention retain;
  // Never touched, so they cost address space only.
  constexpr size_t kBytes = size_t{200} << 20;
  std::vector<char*> blocks;
  for (int i = 0; i < 4; ++i) {
    blocks.push_back(new char[kBytes]);
    asm volatile("" : : "g"(blocks.back()) : "memory");
  }
  for (char* b : blocks) delete[] b;
  // Two fit under 512 MiB (a block counts its whole usable size, which
  // malloc's alignment slack can make a page or so larger); the rest are freed.
  EXPECT_GE(LargeBlockRetention::RetainedBytes(), 2 * kBytes);
  EXPECT_LT(LargeBlockRetention::RetainedBytes(), 3 * kBytes);
  EXPECT_LE(LargeBlockRetention::RetainedBytes(), LargeBlockRetention::kMaxRetainedBytes);
}

TEST(AdviseHugePages, RangesWithoutAWholePageAreRefused) {
  alignas(4096) static char page[2 * 4096];
  EXPECT_FALSE(AdviseHugePages(page + 1, 4096));  // no whole page inside
  EXPECT_FALSE(AdviseHugePages(page, 0));
}

}  // namespace
}  // namespace citadel
