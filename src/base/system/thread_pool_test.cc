#include "base/system/thread_pool.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>

namespace citadel {
namespace {

TEST(ThreadPool, RunsEverySubmittedTask) {
  std::atomic<int> sum{0};
  {
    ThreadPool pool(3);
    for (int i = 1; i <= 100; ++i) pool.Submit([&sum, i] { sum += i; });
  }  // destructor drains
  EXPECT_EQ(sum.load(), 5050);
}

TEST(ThreadPool, SubmitReturnsTheTaskResult) {
  ThreadPool pool(2);
  auto f = pool.Submit([] { return 6 * 7; });
  EXPECT_EQ(f.get(), 42);
}

TEST(ThreadPool, ParallelForCoversEveryIndexOnce) {
  ThreadPool pool(4);
  std::vector<std::atomic<int>> hits(257);
  pool.ParallelFor(hits.size(), [&](size_t i) { hits[i]++; });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(ThreadPool, NestedParallelForOnTheSamePoolCompletes) {
  // Every worker runs an outer item that itself fans out on the same pool:
  // with waiting on queued tasks this would deadlock.
  ThreadPool pool(2);
  std::vector<std::atomic<int>> hits(8 * 50);
  pool.ParallelFor(8, [&](size_t outer) {
    pool.ParallelFor(50, [&](size_t inner) { hits[outer * 50 + inner]++; });
  });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(ThreadPool, ParallelForRethrowsAfterEveryIndexRan) {
  ThreadPool pool(3);
  std::atomic<int> ran{0};
  EXPECT_THROW(pool.ParallelFor(40,
                                [&](size_t i) {
                                  ++ran;
                                  if (i == 7) throw std::runtime_error("seven");
                                }),
               std::runtime_error);
  EXPECT_EQ(ran.load(), 40);
}

TEST(ThreadPool, AvailableCoresFollowsTheAffinityMask) {
  // In a child, so that the test runner keeps its own affinity.
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The first CPU this process may use (not necessarily CPU 0 in a cpuset).
    cpu_set_t mine;
    CPU_ZERO(&mine);
    int first = 0;
    if (::sched_getaffinity(0, sizeof mine, &mine) != 0) ::_exit(2);
    while (first < CPU_SETSIZE && !CPU_ISSET(first, &mine)) ++first;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    bool ok = ::sched_setaffinity(0, sizeof one, &one) == 0 && AvailableCores() == 1 &&
              ThreadPool().size() == 1;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_GE(AvailableCores(), 1u);
  EXPECT_EQ(SharedPool().size(), AvailableCores());
}

TEST(ThreadPool, ExceptionsReachTheCaller) {
  ThreadPool pool(1);
  auto f = pool.Submit([]() -> int { throw std::runtime_error("boom"); });
  EXPECT_THROW(f.get(), std::runtime_error);
}

}  // namespace
}  // namespace citadel
