#include "serve/dynamic_batcher.h"

#include <fmt/format.h>

#include <algorithm>

namespace citadel::serve {

DynamicBatcher::DynamicBatcher(std::string name, int64_t inputs_per_row, int64_t outputs_per_row,
                               BatchingOptions options, Compute compute, BatchObserver observer)
    : name_(std::move(name)),
      inputs_per_row_(inputs_per_row),
      outputs_per_row_(outputs_per_row),
      options_(options),
      compute_(std::move(compute)),
      observer_(std::move(observer)) {}

DynamicBatcher::~DynamicBatcher() {
  std::unique_lock lock(mu_);
  stopping_ = true;
  fill_.notify_all();
  idle_.wait(lock, [&] { return callers_ == 0; });
}

int64_t DynamicBatcher::queued_rows() const {
  std::lock_guard lock(mu_);
  return queued_rows_;
}

Result<std::vector<float>> DynamicBatcher::Run(std::vector<float> features, int64_t rows) {
  const Input input{features, rows};
  return std::move(RunMany({&input, 1}).front());
}

Status DynamicBatcher::Admit(int64_t rows) const {
  if (stopping_) return UnavailableError(fmt::format("model {} is shutting down", name_));
  // An empty queue always takes one request, however large: a request
  // bigger than the queue must still be servable on an idle server.
  if (queued_rows_ > 0 && queued_rows_ + rows > options_.max_queue_rows) {
    return ResourceExhaustedError(
        fmt::format("model {} is overloaded: {} rows queued, the queue holds {}; retry later",
                    name_, queued_rows_, options_.max_queue_rows));
  }
  return Status::Ok();
}

std::vector<Result<std::vector<float>>> DynamicBatcher::RunMany(std::span<const Input> inputs) {
  std::vector<Status> refused(inputs.size());
  std::vector<Pending*> queued(inputs.size(), nullptr);
  Caller self;
  std::deque<Pending> pending;  // stable addresses: the queue points at them
  std::unique_lock lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Input& in = inputs[i];
    if (in.rows < 1 || static_cast<int64_t>(in.features.size()) != in.rows * inputs_per_row_) {
      refused[i] =
          InvalidArgumentError(fmt::format("model {} takes {} values per row; got {} for {} rows",
                                           name_, inputs_per_row_, in.features.size(), in.rows));
      continue;
    }
    if (refused[i] = Admit(in.rows); !refused[i].ok()) continue;
    Pending& p = pending.emplace_back();
    p.features = in.features;
    p.rows = in.rows;
    p.enqueued = now;
    p.caller = &self;
    queue_.push_back(&p);
    queued_rows_ += in.rows;
    queued[i] = &p;
  }
  if (!pending.empty()) {
    ++callers_;
    if (filling_ && queued_rows_ >= options_.max_batch_size) fill_.notify_one();
    auto all_done = [&] {
      return std::all_of(pending.begin(), pending.end(), [](const Pending& p) { return p.done; });
    };
    auto untaken = [&] {
      return std::any_of(pending.begin(), pending.end(), [](const Pending& p) { return !p.taken; });
    };
    while (!all_done()) {
      // Requests another leader has taken are waited for; one still queued
      // leads when an instance is free.
      if (untaken() && leaders_ < options_.instances && !filling_) {
        Lead(lock, self);
      } else {
        self.wake.wait(lock);
      }
    }
    if (--callers_ == 0 && stopping_) idle_.notify_all();
  }
  lock.unlock();
  std::vector<Result<std::vector<float>>> results;
  results.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (queued[i] != nullptr) {
      results.push_back(std::move(queued[i]->result));
    } else {
      results.push_back(std::move(refused[i]));
    }
  }
  return results;
}

void DynamicBatcher::WakeNextCaller() {
  for (const Pending* p : queue_) {
    if (!p->caller->leading) {
      p->caller->wake.notify_one();
      return;
    }
  }
}

void DynamicBatcher::Lead(std::unique_lock<std::mutex>& lock, Caller& self) {
  self.leading = true;
  ++leaders_;
  if (options_.max_queue_delay_ms > 0) {
    // Wait for the batch to fill, but never past the oldest request's
    // deadline; stopping cuts the wait short (drain quickly).
    const auto deadline =
        queue_.front()->enqueued +
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double, std::milli>(options_.max_queue_delay_ms));
    filling_ = true;
    while (!stopping_ && queued_rows_ < options_.max_batch_size &&
           std::chrono::steady_clock::now() < deadline) {
      fill_.wait_until(lock, deadline);
    }
    filling_ = false;
  }
  std::vector<Pending*> batch;
  int64_t rows = 0;
  while (!queue_.empty() &&
         (batch.empty() || rows + queue_.front()->rows <= options_.max_batch_size)) {
    rows += queue_.front()->rows;
    queue_.front()->taken = true;
    batch.push_back(queue_.front());
    queue_.pop_front();
  }
  queued_rows_ -= rows;
  // Another instance is free: a waiting caller may lead meanwhile.
  if (leaders_ < options_.instances) WakeNextCaller();
  lock.unlock();
  RunBatch(batch, rows);  // fills each result; their callers wait for `done`
  lock.lock();
  --leaders_;
  for (Pending* p : batch) {
    p->done = true;
    p->caller->wake.notify_one();
  }
  // A waiting caller leads the next batch (the leader's own requests still
  // queued it leads itself when it loops).
  self.leading = false;
  WakeNextCaller();
}

void DynamicBatcher::RunBatch(const std::vector<Pending*>& batch, int64_t rows) {
  // Whatever happens, every request of the batch gets an answer: an
  // exception escaping here would leave their callers waiting for ever.
  try {
    RunBatchUnchecked(batch, rows);
  } catch (const std::exception& e) {
    for (Pending* p : batch) {
      p->result = InternalError(fmt::format("model {} failed: {}", name_, e.what()));
    }
  } catch (...) {
    for (Pending* p : batch) p->result = InternalError(fmt::format("model {} failed", name_));
  }
}

void DynamicBatcher::RunBatchUnchecked(const std::vector<Pending*>& batch, int64_t rows) {
  if (batch.size() == 1) {
    // The common case at low load: no copy.
    Pending& p = *batch.front();
    p.result = compute_(p.features, p.rows);
    if (observer_) observer_(rows);
    return;
  }
  std::vector<float> joined;
  joined.reserve(static_cast<size_t>(rows * inputs_per_row_));
  for (const Pending* p : batch)
    joined.insert(joined.end(), p->features.begin(), p->features.end());
  Result<std::vector<float>> out = compute_(joined, rows);
  if (observer_) observer_(rows);
  if (out.ok() && static_cast<int64_t>(out->size()) != rows * outputs_per_row_) {
    out = InternalError(
        fmt::format("model {} returned {} values for {} rows", name_, out->size(), rows));
  }
  if (!out.ok()) {
    for (Pending* p : batch) p->result = out.status();
    return;
  }
  size_t offset = 0;
  for (Pending* p : batch) {
    const size_t n = static_cast<size_t>(p->rows * outputs_per_row_);
    p->result = std::vector<float>(out->begin() + static_cast<ptrdiff_t>(offset),
                                   out->begin() + static_cast<ptrdiff_t>(offset + n));
    offset += n;
  }
}

}  // namespace citadel::serve
