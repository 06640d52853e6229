// Dynamic batching for one loaded model: requests from many connections are
// queued and run through the network together, up to max_batch_size rows per
// forward pass, waiting at most max_queue_delay for a batch to fill. With no
// delay (the default) it batches only what piles up while the network is
// busy: an idle server answers at once, a loaded one batches by itself.
//
// No worker thread, and no HTTP thread waits for another's forward pass.
// Submit queues a caller's requests and returns; `done` is called with their
// answers on whichever thread ran their batch. A submitting thread that
// finds one of the `instances` free (the model session is thread-safe) runs
// one batch itself — the oldest queued rows first, its own among them. After
// it, a full batch still queued runs at once on the same thread (for up to a
// millisecond: handing the instance over would idle it, and waiting cannot
// make that batch larger); a partial one is handed to the thread of the
// oldest of its rows that is not already running a batch, through the
// `post` that thread gave with them, and fills while the lead passes. So an
// HTTP thread whose requests wait for another thread's forward pass goes
// back to reading its connections (their next requests join the next
// batch) instead of blocking, which left a core 15 % idle under load
// (docs/benchmarks.md, serving); the threads whose rows wait take turns
// running passes, so none starves its own connections; and an idle server
// still answers on the request's own thread with no hand-off. Waiting is
// left where it is meant: a leader filling its batch under
// max_queue_delay_ms, and Run / RunMany, the blocking form (the shadow
// worker, tests), whose caller runs whatever lead is handed to it while it
// waits.
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
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
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

  struct Input {
    std::span<const float> features;  // rows × inputs_per_row values
    int64_t rows = 0;
  };
  using Answers = std::vector<Result<std::vector<float>>>;
  // Gets one answer per input, in order; called once.
  using Done = std::function<void(Answers)>;
  // Runs a task later on the submitting thread (its event loop); it may be
  // called from any thread, with the batcher's lock held, so it must only
  // queue the task.
  using Post = std::function<void(std::function<void()>)>;

  DynamicBatcher(std::string name, int64_t inputs_per_row, int64_t outputs_per_row,
                 BatchingOptions options, Compute compute, BatchObserver observer = {});
  // Refuses new requests, cuts a batch's fill wait short and returns once
  // every request submitted has been answered. It waits for the threads
  // that hold its queued rows to run the lead handed to them, so it must
  // not run on one of those: a server destroys a model once its requests
  // are answered (they hold it).
  ~DynamicBatcher();
  DynamicBatcher(const DynamicBatcher&) = delete;
  DynamicBatcher& operator=(const DynamicBatcher&) = delete;

  // Queues the inputs (the spans must stay valid until `done`) and returns
  // without waiting for them; this thread runs a batch first when an
  // instance is free. Each input is admitted or refused (a bad size, the
  // queue full, shutting down) on its own; when none is admitted, `done`
  // is called before Submit returns. A request larger than max_batch_size
  // runs as a batch of its own. Out of memory, it throws with nothing
  // queued and `done` not called.
  void Submit(std::span<const Input> inputs, Done done, Post post);

  // Blocking: one answer per input, in order, once all are computed.
  Answers RunMany(std::span<const Input> inputs);
  Result<std::vector<float>> Run(std::vector<float> features, int64_t rows);

  int64_t queued_rows() const;
  // How long a forward pass takes, lately (a moving average of wall time;
  // 0 before the first): the caller's measure of whether waiting for a pass
  // costs less than going back to its event loop.
  double typical_batch_seconds() const;
  const BatchingOptions& options() const;

 private:
  struct Core;
  // Shared with the leads handed to other threads, which may run after the
  // batcher is gone (they then find nothing to do).
  std::shared_ptr<Core> core_;
};

}  // namespace citadel::serve
