#include "base/system/thread_pool.h"

#include <sched.h>

#include <atomic>
#include <exception>

namespace citadel {

ThreadPool::ThreadPool(size_t threads) {
  if (threads == 0) threads = AvailableCores();
  workers_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::Enqueue(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void ThreadPool::WorkerLoop() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

void ThreadPool::ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  // Shared with helper tasks that may start after this call has returned
  // (they then find no index left and exit without touching `fn`).
  struct Loop {
    std::atomic<size_t> next{0};
    size_t n = 0;
    const std::function<void(size_t)>* fn = nullptr;
    std::mutex mu;
    std::condition_variable cv;
    size_t done = 0;           // guarded by mu
    std::exception_ptr error;  // guarded by mu; the first one
  };
  auto loop = std::make_shared<Loop>();
  loop->n = n;
  loop->fn = &fn;
  auto work = [loop] {
    for (size_t i; (i = loop->next.fetch_add(1)) < loop->n;) {
      std::exception_ptr error;
      try {
        (*loop->fn)(i);
      } catch (...) {
        error = std::current_exception();
      }
      std::lock_guard lock(loop->mu);
      if (error && !loop->error) loop->error = error;
      if (++loop->done == loop->n) loop->cv.notify_all();
    }
  };
  const size_t helpers = std::min(n, workers_.size() + 1) - 1;
  for (size_t h = 0; h < helpers; ++h) Enqueue(work);
  work();
  std::unique_lock lock(loop->mu);
  // Only indices already claimed by running threads are left to wait for.
  loop->cv.wait(lock, [&] { return loop->done == loop->n; });
  if (loop->error) std::rethrow_exception(loop->error);
}

size_t AvailableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) {
    return std::max<size_t>(1, static_cast<size_t>(CPU_COUNT(&set)));
  }
  return std::max<size_t>(1, std::thread::hardware_concurrency());
}

ThreadPool& SharedPool() {
  static ThreadPool pool(0);
  return pool;
}

}  // namespace citadel
