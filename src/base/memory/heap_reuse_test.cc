// KeepFreedHeapMemory: buffers freed and allocated again are not faulted in
// afresh. Each case runs in a fresh process (the setting is process-wide).
#include "base/memory/heap_reuse.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace citadel {
namespace {

long MinorFaults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// Eight 2 MiB buffers written, then freed, round after round (like a forward
// pass's workspaces); exits 0 when the later rounds averaged fewer minor
// faults than `most` (keep) or more than `least` (not keep).
[[noreturn]] void ReuseRounds(bool keep, long most, long least) {
  if (keep && !KeepFreedHeapMemory()) std::_Exit(3);
  constexpr size_t kBlock = size_t{2} << 20;
  long faults = 0;
  for (int round = 0; round < 12; ++round) {
    const long before = MinorFaults();
    void* blocks[8];
    for (void*& b : blocks) {
      b = std::malloc(kBlock);
      if (b == nullptr) std::_Exit(4);
      std::memset(b, round + 1, kBlock);
    }
    for (void* b : blocks) std::free(b);
    if (round >= 2) faults += MinorFaults() - before;
  }
  const long per_round = faults / 10;
  std::fprintf(stderr, "%ld faults per round\n", per_round);
  std::_Exit(keep ? (per_round < most ? 0 : 1) : (per_round > least ? 0 : 1));
}

TEST(KeepFreedHeapMemory, FreedBuffersAreReusedWithoutFaultingAgain) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // 16 MiB rewritten per round: 4096 pages when faulted afresh.
  EXPECT_EXIT(ReuseRounds(true, 64, 0), ::testing::ExitedWithCode(0), "faults per round");
}

TEST(KeepFreedHeapMemory, WithoutItTheSamePatternFaultsEveryRound) {
  // What makes the test above able to fail: glibc's own heuristics trim
  // these buffers back to the kernel after every round.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(ReuseRounds(false, 0, 1000), ::testing::ExitedWithCode(0), "faults per round");
}

}  // namespace
}  // namespace citadel
