// Dynamic batching for one loaded model: requests from many connections are
// queued and run through the network together, up to max_batch_size rows per
// forward pass, waiting at most max_queue_delay for a batch to fill. With no
// delay (the default) it batches only what piles up while the network is
// busy: an idle server answers at once, a loaded one batches by itself.
//
// Leader/follower, no worker thread: a caller that finds a free instance
// (up to `instances` forward passes run at once; the model session is
// thread-safe) runs the next batch itself (its own request and whatever is
// queued ahead of it), then hands the lead to the oldest request still
// waiting. At most one leader at a time waits for its batch to fill. An idle
// server therefore answers on the request's own thread with no hand-off,
// and a loaded one wakes each waiting caller exactly once — thread wake-ups
// were most of the per-request CPU of a hand-off to a worker thread
// (docs/benchmarks.md, serving).
//
// The queue is bounded in rows: past max_queue_rows a request is refused at
// once (ResourceExhausted → HTTP 429) instead of waiting, so memory and
// latency never grow without bound under overload.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "serve/routing/deployment_spec.h"

namespace citadel::serve {

class DynamicBatcher {
 public:
  // rows × inputs_per_row values in → rows × outputs_per_row values out.
  using Compute = std::function<Result<std::vector<float>>(std::span<const float>, int64_t rows)>;
  // Called after each forward pass with its row count (metrics).
  using BatchObserver = std::function<void(int64_t rows)>;

  DynamicBatcher(std::string name, int64_t inputs_per_row, int64_t outputs_per_row,
                 BatchingOptions options, Compute compute, BatchObserver observer = {});
  // Refuses new requests, cuts a batch's fill wait short and returns once
  // every caller inside Run has its answer.
  ~DynamicBatcher();
  DynamicBatcher(const DynamicBatcher&) = delete;
  DynamicBatcher& operator=(const DynamicBatcher&) = delete;

  // Blocks until the rows are computed. `features` holds rows ×
  // inputs_per_row values. A request larger than max_batch_size runs as a
  // batch of its own.
  Result<std::vector<float>> Run(std::vector<float> features, int64_t rows);

  // Several requests from one caller (the HTTP thread's requests of one
  // pass), queued together so that they can share a forward pass; one
  // answer per input, in order. Each is admitted or refused (a bad size,
  // the queue full, shutting down) on its own.
  struct Input {
    std::span<const float> features;
    int64_t rows = 0;
  };
  std::vector<Result<std::vector<float>>> RunMany(std::span<const Input> inputs);

  int64_t queued_rows() const;
  const BatchingOptions& options() const { return options_; }

 private:
  // One thread inside RunMany. Its requests share its condition variable:
  // whichever of them is finished or handed the lead, that thread wakes.
  struct Caller {
    std::condition_variable wake;
    bool leading = false;  // in Lead: busy, not waiting to be woken
  };
  // Lives with its caller while queued; the leader fills `result` outside
  // the lock and sets `done` under it.
  struct Pending {
    std::span<const float> features;
    int64_t rows = 0;
    std::chrono::steady_clock::time_point enqueued;
    Caller* caller = nullptr;
    bool taken = false;  // in a leader's batch; its caller only waits for `done`
    bool done = false;
    Result<std::vector<float>> result = InternalError("not run");
  };
  // Why `rows` more cannot be queued now, or OK; called with the lock held.
  Status Admit(int64_t rows) const;
  // Runs one batch from the front of the queue; called with `lock` held, an
  // instance free and the queue not empty, returns with the lock held.
  void Lead(std::unique_lock<std::mutex>& lock, Caller& self);
  // Wakes the caller of the oldest queued request whose caller is waiting
  // (not leading a batch): it leads next if an instance is free.
  void WakeNextCaller();
  void RunBatch(const std::vector<Pending*>& batch, int64_t rows);
  void RunBatchUnchecked(const std::vector<Pending*>& batch, int64_t rows);

  const std::string name_;
  const int64_t inputs_per_row_;
  const int64_t outputs_per_row_;
  const BatchingOptions options_;
  const Compute compute_;
  const BatchObserver observer_;

  mutable std::mutex mu_;
  std::deque<Pending*> queue_;
  int64_t queued_rows_ = 0;
  int leaders_ = 0;       // filling or running a batch; at most options_.instances
  bool filling_ = false;  // a leader waits on fill_ for more rows
  std::condition_variable fill_;
  int callers_ = 0;  // inside Run; the destructor waits for 0
  std::condition_variable idle_;
  bool stopping_ = false;
};

}  // namespace citadel::serve
