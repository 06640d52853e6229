#include "serve/mirror_queue.h"

#include "base/logging.h"

namespace citadel::serve {

MirrorQueue::MirrorQueue(size_t capacity) : capacity_(capacity) {
  worker_ = std::thread([this] { Work(); });
}

MirrorQueue::~MirrorQueue() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

bool MirrorQueue::TryPush(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || jobs_.size() >= capacity_) {
      ++dropped_;
      return false;
    }
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

int64_t MirrorQueue::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

void MirrorQueue::Work() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;
    std::function<void()> job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    bool failed = false;
    try {
      job();
    } catch (const std::exception& e) {
      log::Error("serve: a mirrored copy failed: {}", e.what());
      failed = true;
    }
    lock.lock();
    if (failed) ++dropped_;
  }
}

}  // namespace citadel::serve
