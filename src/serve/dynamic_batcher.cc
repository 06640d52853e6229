#include "serve/dynamic_batcher.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "base/logging.h"

namespace citadel::serve {

// How long a thread goes on running full batches while more are queued
// before it hands the instance over (Drive). Long enough for several
// one-row passes of a small CNN, short next to the latency a client sees
// under load.
constexpr auto kLeadSlice = std::chrono::microseconds(1000);

// Everything behind the lock. A thread in Drive (from Submit, or running a
// lead handed to it) holds a reference: the answers it delivers may release
// the last reference to the model, and with it the batcher, under its feet.
struct DynamicBatcher::Core : std::enable_shared_from_this<Core> {
  // One Submit's requests: answered together once the last is computed.
  struct Submission {
    Done done;
    Post post;
    std::thread::id thread;  // where `post` runs tasks
    Answers answers;
    size_t outstanding = 0;  // queued or in a batch
  };
  struct Pending {
    std::span<const float> features;
    int64_t rows = 0;
    std::chrono::steady_clock::time_point enqueued;
    Submission* submission = nullptr;
    size_t index = 0;
  };

  Core(std::string name, int64_t inputs_per_row, int64_t outputs_per_row, BatchingOptions options,
       Compute compute, BatchObserver observer)
      : name(std::move(name)),
        inputs_per_row(inputs_per_row),
        outputs_per_row(outputs_per_row),
        options(options),
        compute(std::move(compute)),
        observer(std::move(observer)) {
    // Pushed to under the lock, where nothing may throw (Drive).
    leading.reserve(static_cast<size_t>(options.instances));
    handed.reserve(static_cast<size_t>(options.instances));
  }

  void Submit(std::span<const Input> inputs, Done done, Post post);
  // Why `rows` more cannot be queued now, or OK; called with the lock held.
  Status Admit(int64_t rows) const;
  // Runs batches from the front of the queue when an instance is free and
  // no leader waits for its batch to fill: one, or more while full batches
  // are queued (kLeadSlice); takes the lock and returns without it.
  void Drive(std::unique_lock<std::mutex> lock);
  // With the lock held: while an instance is free and rows are queued,
  // hands a lead to the thread of the oldest queued request that neither
  // runs a batch nor has a lead waiting already. False when a hand-off
  // that was due could not be posted (out of memory): the caller leads.
  bool HandOff();
  // This thread gives its instance up and hands the queued rows on; false
  // (the thread keeps the instance) when they wait and could not be handed.
  bool Release(std::thread::id self);
  void RunBatch(std::vector<Pending>& batch, int64_t rows);
  void RunBatchUnchecked(std::vector<Pending>& batch, int64_t rows);
  Result<std::vector<float>>& AnswerOf(const Pending& p) {
    return p.submission->answers[p.index];
  }
  static bool Has(const std::vector<std::thread::id>& v, std::thread::id id) {
    return std::find(v.begin(), v.end(), id) != v.end();
  }
  static void Erase(std::vector<std::thread::id>& v, std::thread::id id) {
    if (auto it = std::find(v.begin(), v.end(), id); it != v.end()) v.erase(it);
  }

  const std::string name;
  const int64_t inputs_per_row;
  const int64_t outputs_per_row;
  const BatchingOptions options;
  const Compute compute;
  const BatchObserver observer;

  mutable std::mutex mu;
  std::deque<Pending> queue;
  int64_t queued_rows = 0;
  // Threads running (or filling) a batch: at most options.instances.
  std::vector<std::thread::id> leading;
  std::vector<std::thread::id> handed;   // threads with a lead posted, not yet run
  bool filling = false;                  // a leader waits on `fill` for more rows
  std::condition_variable fill;
  double batch_seconds = 0;  // a forward pass's wall time, moving average (0: none yet)
  int64_t submissions = 0;   // not yet answered; the destructor waits for 0
  std::condition_variable idle;
  bool stopping = false;
};

DynamicBatcher::DynamicBatcher(std::string name, int64_t inputs_per_row, int64_t outputs_per_row,
                               BatchingOptions options, Compute compute, BatchObserver observer)
    : core_(std::make_shared<Core>(std::move(name), inputs_per_row, outputs_per_row, options,
                                   std::move(compute), std::move(observer))) {}

DynamicBatcher::~DynamicBatcher() {
  Core& c = *core_;
  std::unique_lock lock(c.mu);
  c.stopping = true;
  c.fill.notify_all();
  c.idle.wait(lock, [&] { return c.submissions == 0 && c.leading.empty(); });
}

const BatchingOptions& DynamicBatcher::options() const { return core_->options; }

double DynamicBatcher::typical_batch_seconds() const {
  std::lock_guard lock(core_->mu);
  return core_->batch_seconds;
}

int64_t DynamicBatcher::queued_rows() const {
  std::lock_guard lock(core_->mu);
  return core_->queued_rows;
}

void DynamicBatcher::Submit(std::span<const Input> inputs, Done done, Post post) {
  core_->Submit(inputs, std::move(done), std::move(post));
}

DynamicBatcher::Answers DynamicBatcher::RunMany(std::span<const Input> inputs) {
  // The caller's "event loop": the answers, or a lead handed to it.
  struct Waiter {
    std::mutex mu;
    std::condition_variable wake;
    std::vector<std::function<void()>> tasks;
    std::optional<Answers> answers;
  } w;
  core_->Submit(
      inputs,
      [&w](Answers answers) {
        std::lock_guard lock(w.mu);
        w.answers = std::move(answers);
        w.wake.notify_one();
      },
      [&w](std::function<void()> task) {
        std::lock_guard lock(w.mu);
        w.tasks.push_back(std::move(task));
        w.wake.notify_one();
      });
  // A lead is only handed to the thread of a queued request, so none
  // arrives once the answers have: the tasks left then are all there are.
  std::unique_lock lock(w.mu);
  while (true) {
    if (!w.tasks.empty()) {
      std::vector<std::function<void()>> tasks;
      tasks.swap(w.tasks);
      lock.unlock();
      for (auto& task : tasks) task();
      lock.lock();
      continue;
    }
    if (w.answers) return std::move(*w.answers);
    w.wake.wait(lock);
  }
}

Result<std::vector<float>> DynamicBatcher::Run(std::vector<float> features, int64_t rows) {
  const Input input{features, rows};
  return std::move(RunMany({&input, 1}).front());
}

Status DynamicBatcher::Core::Admit(int64_t rows) const {
  if (stopping) return UnavailableError(fmt::format("model {} is shutting down", name));
  // An empty queue always takes one request, however large: a request
  // bigger than the queue must still be servable on an idle server.
  if (queued_rows > 0 && queued_rows + rows > options.max_queue_rows) {
    return ResourceExhaustedError(
        fmt::format("model {} is overloaded: {} rows queued, the queue holds {}; retry later",
                    name, queued_rows, options.max_queue_rows));
  }
  return Status::Ok();
}

void DynamicBatcher::Core::Submit(std::span<const Input> inputs, Done done, Post post) {
  auto submission = std::make_unique<Submission>();
  submission->post = std::move(post);
  submission->thread = std::this_thread::get_id();
  auto valid = [&](const Input& in) {
    return in.rows >= 1 && static_cast<int64_t>(in.features.size()) == in.rows * inputs_per_row;
  };
  submission->answers.reserve(inputs.size());
  for (const Input& in : inputs) {
    submission->answers.emplace_back(
        valid(in) ? InternalError("not run")
                  : InvalidArgumentError(
                        fmt::format("model {} takes {} values per row; got {} for {} rows", name,
                                    inputs_per_row, in.features.size(), in.rows)));
  }
  std::unique_lock lock(mu);
  const auto now = std::chrono::steady_clock::now();
  try {
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!valid(inputs[i])) continue;
      if (Status s = Admit(inputs[i].rows); !s.ok()) {
        submission->answers[i] = std::move(s);
        continue;
      }
      queue.push_back({inputs[i].features, inputs[i].rows, now, submission.get(), i});
      queued_rows += inputs[i].rows;
      ++submission->outstanding;
    }
  } catch (...) {
    // Out of memory: nothing of this submission stays queued (its requests
    // are the last ones), and the caller hears of it by the exception.
    while (submission->outstanding > 0) {
      queued_rows -= queue.back().rows;
      queue.pop_back();
      --submission->outstanding;
    }
    throw;
  }
  if (submission->outstanding == 0) {
    lock.unlock();
    done(std::move(submission->answers));
    return;
  }
  submission->done = std::move(done);
  submission.release();  // owned by its requests until the last is answered (Drive)
  ++submissions;
  if (filling && queued_rows >= options.max_batch_size) fill.notify_one();
  Drive(std::move(lock));
}

bool DynamicBatcher::Core::HandOff() {
  if (filling) return true;  // the filling leader takes the queue next
  const int free = options.instances - static_cast<int>(leading.size() + handed.size());
  if (free <= 0 || queue.empty()) return true;
  int given = 0;
  for (const Pending& p : queue) {
    if (given == free) break;
    const std::thread::id thread = p.submission->thread;
    if (Has(leading, thread) || Has(handed, thread)) continue;
    try {
      handed.push_back(thread);
      p.submission->post([core = shared_from_this(), thread] {
        std::unique_lock lock(core->mu);
        Erase(core->handed, thread);
        core->Drive(std::move(lock));
      });
      ++given;
    } catch (const std::exception& e) {
      Erase(handed, thread);
      log::Error("serve: model {}: handing a batch to another thread failed: {}", name, e.what());
      return false;
    }
  }
  return true;
}

bool DynamicBatcher::Core::Release(std::thread::id self) {
  Erase(leading, self);
  if (HandOff()) return true;
  leading.push_back(self);
  return false;
}

void DynamicBatcher::Core::Drive(std::unique_lock<std::mutex> lock) {
  if (queue.empty() || static_cast<int>(leading.size()) >= options.instances || filling) return;
  const auto keep = shared_from_this();  // see Core
  const std::thread::id self = std::this_thread::get_id();
  leading.push_back(self);  // reserved for `instances` threads
  const auto slice_end = std::chrono::steady_clock::now() + kLeadSlice;
  std::vector<Pending> batch;
  std::vector<std::unique_ptr<Submission>> finished;
  while (true) {
    // Another leader took the rows, or waits for its batch to fill (only
    // one leader ever fills).
    if (queue.empty() || filling) {
      Release(self);  // nothing to hand over: never fails
      break;
    }
    if (options.max_queue_delay_ms > 0) {
      // Wait for the batch to fill, but never past the oldest request's
      // deadline; stopping cuts the wait short (drain quickly). Other
      // threads keep queueing meanwhile, and no other leader takes rows.
      const auto deadline =
          queue.front().enqueued +
          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
              std::chrono::duration<double, std::milli>(options.max_queue_delay_ms));
      filling = true;
      while (!stopping && queued_rows < options.max_batch_size &&
             std::chrono::steady_clock::now() < deadline) {
        fill.wait_until(lock, deadline);
      }
      filling = false;
    }
    // What the batch can hold is reserved before anything is taken: from
    // there on nothing throws (RunBatch and the callbacks catch their own),
    // so no row is lost and no lead leaks. Out of memory, this thread
    // stops leading and the rows wait for the next Submit.
    try {
      const auto most = static_cast<size_t>(std::max<int64_t>(options.max_batch_size, 1));
      batch.reserve(std::min(queue.size(), most));
      finished.reserve(batch.capacity());
    } catch (const std::exception& e) {
      log::Error("serve: model {}: cannot lead a batch: {}", name, e.what());
      Erase(leading, self);
      break;
    }
    batch.clear();
    int64_t rows = 0;
    while (!queue.empty() &&
           (batch.empty() || rows + queue.front().rows <= options.max_batch_size)) {
      rows += queue.front().rows;
      batch.push_back(queue.front());
      queue.pop_front();
    }
    if (batch.empty()) continue;  // (cannot happen: nobody takes rows while this one fills)
    queued_rows -= rows;
    const bool stuck = !HandOff();  // another instance is free: it need not wait for this one
    lock.unlock();
    const auto began = std::chrono::steady_clock::now();
    RunBatch(batch, rows);  // fills each request's answer
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    lock.lock();
    batch_seconds = batch_seconds == 0 ? took : 0.8 * batch_seconds + 0.2 * took;
    for (const Pending& p : batch) {
      if (--p.submission->outstanding == 0) finished.emplace_back(p.submission);
    }
    // A full batch waiting runs now, on this thread, for a slice: handing
    // the instance over costs the other thread's way round its event loop
    // (a pass of parsing, say), all of it idle time for the model, and
    // waiting cannot make that batch larger. A partial batch goes to a
    // thread whose rows wait among it, this one included: rows keep
    // arriving while the lead passes, and each thread gets back to its own
    // connections between the batches it runs.
    bool lead = !queue.empty() &&
                (stuck || (queued_rows >= options.max_batch_size &&
                           std::chrono::steady_clock::now() < slice_end));
    if (!lead) lead = !Release(self);
    if (!finished.empty()) {
      lock.unlock();
      for (auto& s : finished) {
        try {
          s->done(std::move(s->answers));
        } catch (const std::exception& e) {  // not this thread's to fail on
          log::Error("serve: model {}: delivering answers failed: {}", name, e.what());
        }
      }
      lock.lock();
      submissions -= static_cast<int64_t>(finished.size());
    }
    if (stopping && submissions == 0 && leading.empty()) idle.notify_all();
    if (!finished.empty()) {
      // The answers' closures may hold the last reference to the model:
      // they go after the count, without the lock.
      lock.unlock();
      finished.clear();
      lock.lock();
    }
    if (!lead) break;
  }
}

void DynamicBatcher::Core::RunBatch(std::vector<Pending>& batch, int64_t rows) {
  // Whatever happens, every request of the batch gets an answer: an
  // exception escaping here would leave their callers waiting for ever.
  try {
    RunBatchUnchecked(batch, rows);
  } catch (const std::exception& e) {
    for (const Pending& p : batch) {
      AnswerOf(p) = InternalError(fmt::format("model {} failed: {}", name, e.what()));
    }
  } catch (...) {
    for (const Pending& p : batch) AnswerOf(p) = InternalError(fmt::format("model {} failed", name));
  }
}

void DynamicBatcher::Core::RunBatchUnchecked(std::vector<Pending>& batch, int64_t rows) {
  if (batch.size() == 1) {
    // The common case at low load: no copy.
    const Pending& p = batch.front();
    AnswerOf(p) = compute(p.features, p.rows);
    if (observer) observer(rows);
    return;
  }
  std::vector<float> joined;
  joined.reserve(static_cast<size_t>(rows * inputs_per_row));
  for (const Pending& p : batch) joined.insert(joined.end(), p.features.begin(), p.features.end());
  Result<std::vector<float>> out = compute(joined, rows);
  if (observer) observer(rows);
  if (out.ok() && static_cast<int64_t>(out->size()) != rows * outputs_per_row) {
    out = InternalError(
        fmt::format("model {} returned {} values for {} rows", name, out->size(), rows));
  }
  if (!out.ok()) {
    for (const Pending& p : batch) AnswerOf(p) = out.status();
    return;
  }
  size_t offset = 0;
  for (const Pending& p : batch) {
    const size_t n = static_cast<size_t>(p.rows * outputs_per_row);
    AnswerOf(p) = std::vector<float>(out->begin() + static_cast<ptrdiff_t>(offset),
                                     out->begin() + static_cast<ptrdiff_t>(offset + n));
    offset += n;
  }
}

}  // namespace citadel::serve
