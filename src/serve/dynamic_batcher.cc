#include "serve/dynamic_batcher.h"

#include <fmt/format.h>

namespace citadel::serve {

DynamicBatcher::DynamicBatcher(std::string name, int64_t inputs_per_row, int64_t outputs_per_row,
                               BatchingOptions options, Compute compute, BatchObserver observer)
    : name_(std::move(name)),
      inputs_per_row_(inputs_per_row),
      outputs_per_row_(outputs_per_row),
      options_(options),
      compute_(std::move(compute)),
      observer_(std::move(observer)) {
  worker_ = std::thread([this] { Work(); });
}

DynamicBatcher::~DynamicBatcher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

int64_t DynamicBatcher::queued_rows() const {
  std::lock_guard lock(mu_);
  return queued_rows_;
}

Result<std::vector<float>> DynamicBatcher::Run(std::vector<float> features, int64_t rows) {
  if (rows < 1 || static_cast<int64_t>(features.size()) != rows * inputs_per_row_) {
    return InvalidArgumentError(fmt::format("model {} takes {} values per row; got {} for {} rows",
                                            name_, inputs_per_row_, features.size(), rows));
  }
  std::future<Result<std::vector<float>>> result;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return UnavailableError(fmt::format("model {} is shutting down", name_));
    // An empty queue always takes one request, however large: a request
    // bigger than the queue must still be servable on an idle server.
    if (queued_rows_ > 0 && queued_rows_ + rows > options_.max_queue_rows) {
      return ResourceExhaustedError(
          fmt::format("model {} is overloaded: {} rows queued, the queue holds {}; retry later",
                      name_, queued_rows_, options_.max_queue_rows));
    }
    Pending p;
    p.features = std::move(features);
    p.rows = rows;
    p.enqueued = std::chrono::steady_clock::now();
    result = p.done.get_future();
    queue_.push_back(std::move(p));
    queued_rows_ += rows;
  }
  wake_.notify_one();
  return result.get();
}

void DynamicBatcher::Work() {
  const auto delay = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double, std::milli>(options_.max_queue_delay_ms));
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything queued was answered
    // Wait for the batch to fill, but never past the oldest request's
    // deadline; stopping cuts the wait short (drain quickly).
    const auto deadline = queue_.front().enqueued + delay;
    while (!stopping_ && queued_rows_ < options_.max_batch_size &&
           std::chrono::steady_clock::now() < deadline) {
      wake_.wait_until(lock, deadline);
    }
    std::vector<Pending> batch;
    int64_t rows = 0;
    while (!queue_.empty() &&
           (batch.empty() || rows + queue_.front().rows <= options_.max_batch_size)) {
      rows += queue_.front().rows;
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    queued_rows_ -= rows;
    lock.unlock();
    RunBatch(batch, rows);
    lock.lock();
  }
}

void DynamicBatcher::RunBatch(std::vector<Pending>& batch, int64_t rows) {
  if (batch.size() == 1) {
    // The common case at low load: no copy.
    Pending& p = batch.front();
    Result<std::vector<float>> out = compute_(p.features, p.rows);
    if (observer_) observer_(rows);
    p.done.set_value(std::move(out));
    return;
  }
  std::vector<float> joined;
  joined.reserve(static_cast<size_t>(rows * inputs_per_row_));
  for (const Pending& p : batch) joined.insert(joined.end(), p.features.begin(), p.features.end());
  Result<std::vector<float>> out = compute_(joined, rows);
  if (observer_) observer_(rows);
  if (!out.ok()) {
    for (Pending& p : batch) p.done.set_value(out.status());
    return;
  }
  if (static_cast<int64_t>(out->size()) != rows * outputs_per_row_) {
    Status bad = InternalError(
        fmt::format("model {} returned {} values for {} rows", name_, out->size(), rows));
    for (Pending& p : batch) p.done.set_value(bad);
    return;
  }
  size_t offset = 0;
  for (Pending& p : batch) {
    const size_t n = static_cast<size_t>(p.rows * outputs_per_row_);
    p.done.set_value(std::vector<float>(out->begin() + static_cast<ptrdiff_t>(offset),
                                        out->begin() + static_cast<ptrdiff_t>(offset + n)));
    offset += n;
  }
}

}  // namespace citadel::serve
