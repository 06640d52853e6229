// Background work that must never slow or fail the request that caused it:
// shadow traffic (a copy of each request for the shadow version, its answer
// compared and discarded) and the primary's second opinion on canary
// requests. Bounded: when the queue is full the copy is dropped and
// counted, never queued without limit. A copy that fails (throws: out of
// memory) is counted too and the worker goes on: a shadow's failure must
// not take the server down.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace citadel::serve {

class MirrorQueue {
 public:
  explicit MirrorQueue(size_t capacity);
  ~MirrorQueue();  // runs what is queued, then joins
  MirrorQueue(const MirrorQueue&) = delete;
  MirrorQueue& operator=(const MirrorQueue&) = delete;

  // False (and `job` dropped) when full or stopping.
  bool TryPush(std::function<void()> job);
  // Copies not run to completion: refused by TryPush, or thrown out of.
  int64_t dropped() const;

 private:
  void Work();
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  int64_t dropped_ = 0;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace citadel::serve
