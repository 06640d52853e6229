#include "serve/dynamic_batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <latch>
#include <new>
#include <optional>
#include <thread>

#include "serve/routing/deployment_spec.h"

namespace citadel::serve {
namespace {

// A "model" with 2 inputs and 1 output per row: out = in0 + 10 * in1.
Result<std::vector<float>> Sum(std::span<const float> x, int64_t rows) {
  std::vector<float> out;
  for (int64_t r = 0; r < rows; ++r) out.push_back(x[2 * r] + 10 * x[2 * r + 1]);
  return out;
}

TEST(DynamicBatcher, AnswersEachRequestWithItsOwnRows) {
  DynamicBatcher b("m:1", 2, 1, BatchingOptions{}, Sum);
  auto out = b.Run({1, 2, 3, 4}, 2);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, (std::vector<float>{21, 43}));
}

TEST(DynamicBatcher, RefusesRowsOfTheWrongWidth) {
  DynamicBatcher b("m:1", 2, 1, BatchingOptions{}, Sum);
  auto out = b.Run({1, 2, 3}, 2);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("2 values per row"), std::string::npos);
}

TEST(DynamicBatcher, RequestsQueuedTogetherShareAForwardPassAndAreRefusedOneByOne) {
  std::vector<int64_t> batches;
  BatchingOptions o;
  o.max_batch_size = 8;
  o.max_queue_rows = 5;
  DynamicBatcher b("m:1", 2, 1, o, Sum, [&](int64_t rows) { batches.push_back(rows); });
  const std::vector<float> a = {1, 2}, bad = {1, 2, 3}, c = {3, 4, 5, 6}, big = {1, 1, 1, 1, 1, 1};
  const std::vector<DynamicBatcher::Input> inputs = {
      {a, 1}, {bad, 2}, {c, 2}, {big, 3}};  // 1 + 2 rows fit; 3 more would pass 5
  auto out = b.RunMany(inputs);
  ASSERT_EQ(out.size(), 4u);
  ASSERT_TRUE(out[0].ok()) << out[0].status();
  EXPECT_EQ(*out[0], (std::vector<float>{21}));
  EXPECT_EQ(out[1].status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(out[2].ok()) << out[2].status();
  EXPECT_EQ(*out[2], (std::vector<float>{43, 65}));
  EXPECT_EQ(out[3].status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(out[3].status().message().find("overloaded"), std::string::npos);
  EXPECT_EQ(batches, (std::vector<int64_t>{3}));  // one forward pass for both
  EXPECT_EQ(b.queued_rows(), 0);
}

TEST(DynamicBatcher, AWaitingCallerLeadsTheFreeInstanceWhileAGroupRuns) {
  // Two instances, one-row batches. A caller runs alone; a group of eight
  // arrives and leads the second instance; a third caller arrives and
  // waits. When the first caller's batch ends, the third (not the group's
  // busy caller) must be handed the lead of the free instance: from then
  // on two batches run at a time until the queue is empty.
  BatchingOptions o;
  o.max_batch_size = 1;
  o.instances = 2;
  std::atomic<int> running{0}, overlapping{0};
  DynamicBatcher b("m:1", 2, 1, o, [&](std::span<const float> x, int64_t rows) {
    if (++running == 2) ++overlapping;
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    --running;
    return Sum(x, rows);
  });
  std::vector<std::vector<float>> rows(8);
  std::vector<DynamicBatcher::Input> inputs;
  for (int i = 0; i < 8; ++i) {
    rows[i] = {static_cast<float>(i), 1};
    inputs.push_back({rows[i], 1});
  }
  Result<std::vector<float>> first = InternalError("not run"), third = InternalError("not run");
  std::vector<Result<std::vector<float>>> group;
  std::thread t1([&] { first = b.Run({100, 0}, 1); });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::thread t2([&] { group = b.RunMany(inputs); });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::thread t3([&] { third = b.Run({200, 0}, 1); });
  t1.join();
  t2.join();
  t3.join();
  ASSERT_TRUE(first.ok() && third.ok());
  EXPECT_EQ(*first, (std::vector<float>{100}));
  EXPECT_EQ(*third, (std::vector<float>{200}));
  ASSERT_EQ(group.size(), 8u);
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(group[i].ok()) << group[i].status();
    EXPECT_EQ(*group[i], (std::vector<float>{static_cast<float>(i + 10)}));
  }
  // Ten batches, two at a time: about half start beside another one. One
  // instance left idle after the first batch would give 1.
  EXPECT_GE(overlapping.load(), 4);
}

// A thread running posted tasks in order, like an HTTP thread's event loop.
class EventLoop {
 public:
  EventLoop() : thread_([this] { Loop(); }) {}
  ~EventLoop() {
    Post(nullptr);
    thread_.join();
  }
  void Post(std::function<void()> task) {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
    wake_.notify_one();
  }
  DynamicBatcher::Post Poster() {
    return [this](std::function<void()> task) { Post(std::move(task)); };
  }
  std::thread::id id() const { return thread_.get_id(); }

 private:
  void Loop() {
    while (true) {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return !tasks_.empty(); });
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      if (!task) return;
      task();
    }
  }
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  std::thread thread_;
};

TEST(DynamicBatcher, ASubmitterWhoseRowsWaitGoesBackToItsLoopAndIsHandedTheirBatch) {
  // Loop A's request holds the one instance; loop C's request queues behind
  // it. C's Submit must return at once (its loop stays free for its
  // connections), and when A's pass ends the next batch — a partial one,
  // which A hands over rather than runs — runs on C, the thread whose
  // request waits.
  std::latch release(1);
  std::atomic<bool> first{true};
  std::mutex mu;
  std::vector<std::thread::id> computed_on;
  DynamicBatcher b("m:1", 2, 1, BatchingOptions{}, [&](std::span<const float> x, int64_t rows) {
    {
      std::lock_guard lock(mu);
      computed_on.push_back(std::this_thread::get_id());
    }
    if (first.exchange(false)) release.wait();
    return Sum(x, rows);
  });
  EventLoop a, c;
  const std::vector<float> xa = {1, 1}, xc = {2, 2};
  const DynamicBatcher::Input ia{xa, 1}, ic{xc, 1};
  std::promise<std::pair<std::thread::id, DynamicBatcher::Answers>> got_a, got_c;
  auto answered = [](auto& promise) {
    return [&promise](DynamicBatcher::Answers answers) {
      promise.set_value({std::this_thread::get_id(), std::move(answers)});
    };
  };
  a.Post([&] { b.Submit({&ia, 1}, answered(got_a), a.Poster()); });
  while (true) {  // A's pass has started
    std::lock_guard lock(mu);
    if (!computed_on.empty()) break;
  }
  std::promise<void> c_returned;
  c.Post([&] {
    b.Submit({&ic, 1}, answered(got_c), c.Poster());
    c_returned.set_value();
  });
  // Returns while A's forward pass still holds the instance. (Should it
  // block instead, the pass is released all the same, so that the test
  // fails rather than hangs.)
  const bool returned =
      c_returned.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  EXPECT_TRUE(returned) << "Submit blocked while another thread's pass ran";
  EXPECT_EQ(b.queued_rows(), returned ? 1 : 0);
  release.count_down();
  if (!returned) return;
  auto [a_thread, a_answers] = got_a.get_future().get();
  auto [c_thread, c_answers] = got_c.get_future().get();
  EXPECT_EQ(a_thread, a.id());
  EXPECT_EQ(c_thread, c.id());
  ASSERT_TRUE(a_answers.at(0).ok() && c_answers.at(0).ok());
  EXPECT_EQ(*a_answers[0], (std::vector<float>{11}));
  EXPECT_EQ(*c_answers[0], (std::vector<float>{22}));
  std::lock_guard lock(mu);
  EXPECT_EQ(computed_on, (std::vector<std::thread::id>{a.id(), c.id()}));
}

TEST(DynamicBatcher, ASubmissionWithNothingAdmittedIsAnsweredBeforeSubmitReturns) {
  DynamicBatcher b("m:1", 2, 1, BatchingOptions{}, Sum);
  const std::vector<float> bad = {1, 2, 3};
  const DynamicBatcher::Input in{bad, 1};
  std::optional<DynamicBatcher::Answers> answers;
  b.Submit({&in, 1}, [&](DynamicBatcher::Answers a) { answers = std::move(a); },
           [](std::function<void()>) { ADD_FAILURE() << "nothing to hand over"; });
  ASSERT_TRUE(answers.has_value());
  ASSERT_EQ(answers->size(), 1u);
  EXPECT_EQ(answers->front().status().code(), StatusCode::kInvalidArgument);
}

TEST(DynamicBatcher, AModelThatThrowsFailsItsBatchNotTheServer) {
  BatchingOptions o;
  DynamicBatcher b("m:1", 2, 1, o,
                   [](std::span<const float>, int64_t) -> Result<std::vector<float>> {
                     throw std::bad_alloc();
                   });
  auto out = b.Run({1, 2}, 1);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInternal);
  EXPECT_NE(out.status().message().find("model m:1 failed"), std::string::npos);
  // And it still answers (no leader left counted, no caller left waiting).
  EXPECT_EQ(b.Run({1, 2}, 1).status().code(), StatusCode::kInternal);
}

TEST(DynamicBatcher, ConcurrentRequestsShareForwardPassesAndGetTheirOwnAnswers) {
  std::vector<int64_t> batches;
  std::mutex mu;
  BatchingOptions o;
  o.max_batch_size = 16;
  o.max_queue_delay_ms = 50;  // long enough that all 16 callers queue up
  DynamicBatcher b("m:1", 2, 1, o, Sum, [&](int64_t rows) {
    std::lock_guard lock(mu);
    batches.push_back(rows);
  });
  constexpr int kCallers = 16;
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      auto out = b.Run({static_cast<float>(i), 1}, 1);
      if (!out.ok() || out->size() != 1 || (*out)[0] != static_cast<float>(i + 10)) ++wrong;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  int64_t total = 0;
  for (int64_t rows : batches) total += rows;
  EXPECT_EQ(total, kCallers);
  EXPECT_LT(batches.size(), static_cast<size_t>(kCallers)) << "no two requests were batched";
  for (int64_t rows : batches) EXPECT_LE(rows, o.max_batch_size);
}

// `instances` forward passes run at once, never more: each pass waits (a
// bounded time) for a partner, so passes that overlap are seen to.
TEST(DynamicBatcher, InstancesBoundTheForwardPassesRunningAtOnce) {
  for (int instances : {1, 2}) {
    SCOPED_TRACE(instances);
    std::atomic<int> running{0}, most{0};
    BatchingOptions o;
    o.max_batch_size = 1;
    o.instances = instances;
    DynamicBatcher b("m:1", 2, 1, o, [&](std::span<const float> x, int64_t rows) {
      const int now = ++running;
      for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
      }
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
      while (running.load() < 2 && std::chrono::steady_clock::now() < until) {
        std::this_thread::yield();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      --running;
      return Sum(x, rows);
    });
    std::vector<std::thread> callers;
    for (int i = 0; i < 4; ++i) {
      callers.emplace_back([&] { EXPECT_TRUE(b.Run({1, 1}, 1).ok()); });
    }
    for (auto& t : callers) t.join();
    EXPECT_EQ(most.load(), instances);
  }
}

// Many callers, small batches, a fill delay and two instances: requests are
// taken by one leader while their callers are being woken to lead, which
// must never make a caller lead a batch it is already part of.
TEST(DynamicBatcher, TwoInstancesUnderContentionAnswerEveryRequestCorrectly) {
  BatchingOptions o;
  o.max_batch_size = 3;
  o.max_queue_delay_ms = 0.2;
  o.instances = 2;
  std::atomic<int64_t> rows_run{0};
  std::atomic<int> empty_passes{0};
  DynamicBatcher b(
      "m:1", 2, 1, o,
      [&](std::span<const float> x, int64_t rows) {
        if (rows < 1) ++empty_passes;  // a leader that lost its rows to another
        return Sum(x, rows);
      },
      [&](int64_t rows) { rows_run += rows; });
  std::atomic<int> wrong{0};
  std::vector<std::thread> callers;
  constexpr int kThreads = 24, kEach = 200;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const auto x = static_cast<float>(t * 1000 + i);
        auto out = b.Run({x, 2}, 1);
        if (!out.ok() || out->size() != 1 || (*out)[0] != x + 20) ++wrong;
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(rows_run.load(), kThreads * kEach);
  EXPECT_EQ(empty_passes.load(), 0);
  EXPECT_EQ(b.queued_rows(), 0);
}

TEST(DynamicBatcher, AFullQueueRefusesAtOnceInsteadOfGrowing) {
  std::latch release(1);
  std::atomic<int> running{0};
  BatchingOptions o;
  o.max_batch_size = 1;
  o.max_queue_rows = 2;
  DynamicBatcher b("m:1", 2, 1, o, [&](std::span<const float> x, int64_t rows) {
    ++running;
    release.wait();
    return Sum(x, rows);
  });
  // The first request occupies the network; two more fill the queue.
  std::vector<std::thread> held;
  held.emplace_back([&] { EXPECT_TRUE(b.Run({1, 1}, 1).ok()); });
  while (running.load() == 0) std::this_thread::yield();
  held.emplace_back([&] { EXPECT_TRUE(b.Run({1, 1}, 1).ok()); });
  held.emplace_back([&] { EXPECT_TRUE(b.Run({1, 1}, 1).ok()); });
  while (b.queued_rows() < 2) std::this_thread::yield();
  auto refused = b.Run({1, 1}, 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(refused.status().message().find("2 rows queued"), std::string::npos)
      << refused.status();
  release.count_down();
  for (auto& t : held) t.join();
  EXPECT_EQ(b.queued_rows(), 0);
}

TEST(DynamicBatcher, ARequestLargerThanABatchRunsAlone) {
  std::vector<int64_t> batches;
  BatchingOptions o;
  o.max_batch_size = 2;
  o.max_queue_rows = 2;  // an idle queue still takes one oversized request
  DynamicBatcher b("m:1", 2, 1, o, Sum, [&](int64_t rows) { batches.push_back(rows); });
  auto out = b.Run(std::vector<float>(10, 1), 5);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->size(), 5u);
  EXPECT_EQ(batches, (std::vector<int64_t>{5}));
}

TEST(DynamicBatcher, AModelErrorReachesEveryRequestOfTheBatch) {
  DynamicBatcher b("m:1", 2, 1, BatchingOptions{},
                   [](std::span<const float>, int64_t) -> Result<std::vector<float>> {
                     return InternalError("boom");
                   });
  auto out = b.Run({1, 1}, 1);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "boom");
}

TEST(DynamicBatcher, DestructionAnswersEverythingQueuedWithoutWaitingOutTheDelay) {
  std::atomic<int> answered{0};
  BatchingOptions o;
  o.max_queue_delay_ms = 60'000;  // the batch would wait a minute to fill
  auto b = std::make_unique<DynamicBatcher>("m:1", 2, 1, o, Sum);
  std::vector<std::thread> callers;
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&, batcher = b.get()] {
      if (batcher->Run({1, 1}, 1).ok()) ++answered;
    });
  }
  while (b->queued_rows() < 8) std::this_thread::yield();
  const auto start = std::chrono::steady_clock::now();
  b.reset();  // drains: every queued request is answered, now
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (auto& t : callers) t.join();
  EXPECT_EQ(answered.load(), 8);
  EXPECT_LT(seconds, 30);
}

// The deployment settings that configure a batcher.
TEST(BatchingSettings, InstancesParseRoundTripAndAreBounded) {
  Json spec = {
      {"routes",
       {{{"model", "m"}, {"version", 1}, {"artifact", "sha256:abc"}, {"role", "primary"}}}},
      {"batching", {{"max_batch_size", 8}, {"instances", 3}}}};
  auto parsed = ParseDeploymentSpec(spec, "test");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->batching.instances, 3);
  EXPECT_EQ(parsed->batching.max_batch_size, 8);
  auto again = ParseDeploymentSpec(DeploymentSpecToJson(*parsed), "stored");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->batching.instances, 3);
  EXPECT_EQ(ParseDeploymentSpec(Json{{"routes", spec["routes"]}}, "test")->batching.instances, 1);
  for (int bad : {0, 65}) {
    spec["batching"]["instances"] = bad;
    auto refused = ParseDeploymentSpec(spec, "test");
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_NE(refused.status().message().find("instances"), std::string::npos)
        << refused.status().ToString();
  }
}

}  // namespace
}  // namespace citadel::serve
