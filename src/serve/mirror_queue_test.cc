// The background queue of shadow copies: bounded, and never brought down by
// a copy that fails.
#include "serve/mirror_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

namespace citadel::serve {
namespace {

TEST(MirrorQueue, ACopyThatThrowsIsCountedAndTheNextOneStillRuns) {
  std::atomic<int> ran{0};
  std::promise<void> done;
  {
    MirrorQueue queue(4);
    ASSERT_TRUE(queue.TryPush([] { throw std::runtime_error("out of memory"); }));
    ASSERT_TRUE(queue.TryPush([&] {
      ++ran;
      done.set_value();
    }));
    ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_EQ(ran.load(), 1);
    // The failed copy counts as dropped, as a refused one does.
    for (int i = 0; i < 1000 && queue.dropped() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(queue.dropped(), 1);
  }
}

TEST(MirrorQueue, RefusesPastItsCapacityAndRunsWhatWasQueued) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> ran{0};
  int accepted = 0;
  {
    MirrorQueue queue(2);
    // The first job holds the worker, so the next two fill the queue.
    ASSERT_TRUE(queue.TryPush([&] {
      released.wait();
      ++ran;
    }));
    for (int i = 0; i < 5; ++i) accepted += queue.TryPush([&] { ++ran; }) ? 1 : 0;
    // The worker may or may not have taken the first job off the queue yet.
    EXPECT_GE(accepted, 1);
    EXPECT_LE(accepted, 2);
    EXPECT_EQ(queue.dropped(), 5 - accepted);
    release.set_value();
  }  // the destructor runs what is queued, then joins
  EXPECT_EQ(ran.load(), 1 + accepted);
}

}  // namespace
}  // namespace citadel::serve
