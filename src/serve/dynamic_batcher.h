// Dynamic batching for one loaded model: requests from many connections are
// queued and run through the network together, up to max_batch_size rows per
// forward pass, waiting at most max_queue_delay for a batch to fill. With no
// delay (the default) it batches only what piles up while the network is
// busy: an idle server answers at once, a loaded one batches by itself.
//
// The queue is bounded in rows: past max_queue_rows a request is refused at
// once (ResourceExhausted → HTTP 429) instead of waiting, so memory and
// latency never grow without bound under overload.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
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

  DynamicBatcher(std::string name, int64_t inputs_per_row, int64_t outputs_per_row,
                 BatchingOptions options, Compute compute, BatchObserver observer = {});
  // Finishes every queued request, then joins the worker.
  ~DynamicBatcher();
  DynamicBatcher(const DynamicBatcher&) = delete;
  DynamicBatcher& operator=(const DynamicBatcher&) = delete;

  // Blocks until the rows are computed. `features` holds rows ×
  // inputs_per_row values. A request larger than max_batch_size runs as a
  // batch of its own.
  Result<std::vector<float>> Run(std::vector<float> features, int64_t rows);

  int64_t queued_rows() const;
  const BatchingOptions& options() const { return options_; }

 private:
  struct Pending {
    std::vector<float> features;
    int64_t rows = 0;
    std::promise<Result<std::vector<float>>> done;
    std::chrono::steady_clock::time_point enqueued;
  };
  void Work();
  void RunBatch(std::vector<Pending>& batch, int64_t rows);

  const std::string name_;
  const int64_t inputs_per_row_;
  const int64_t outputs_per_row_;
  const BatchingOptions options_;
  const Compute compute_;
  const BatchObserver observer_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  int64_t queued_rows_ = 0;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace citadel::serve
