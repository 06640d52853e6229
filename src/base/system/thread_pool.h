// A fixed-size pool of worker threads.
//
// Thread-safe: Submit may be called from any thread, including from tasks.
// The destructor finishes every task already submitted, then joins.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace citadel {

class ThreadPool {
 public:
  // `threads` == 0 means AvailableCores().
  explicit ThreadPool(size_t threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t size() const { return workers_.size(); }

  template <typename F>
  auto Submit(F&& task) -> std::future<std::invoke_result_t<F>> {
    using R = std::invoke_result_t<F>;
    auto packaged = std::make_shared<std::packaged_task<R()>>(std::forward<F>(task));
    std::future<R> future = packaged->get_future();
    Enqueue([packaged] { (*packaged)(); });
    return future;
  }

  // Runs fn(i) for i in [0, n) across the pool and the calling thread, and
  // returns when all have run; the first exception thrown by fn is rethrown.
  // The caller works too and never waits on a queued task, so calling it
  // from a task of the same pool (nested parallelism) cannot deadlock.
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn);

 private:
  void Enqueue(std::function<void()> task);
  void WorkerLoop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> workers_;
};

// Cores this process may run on: its CPU affinity mask, so that `taskset`
// and cpuset limits are respected (hardware_concurrency() ignores them).
// At least 1.
size_t AvailableCores();

// One process-wide pool of AvailableCores() threads, created on first use:
// for data-parallel loops inside a call (ParallelFor), so that independent
// modules do not each start their own threads.
ThreadPool& SharedPool();

}  // namespace citadel
