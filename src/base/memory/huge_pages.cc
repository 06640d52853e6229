#include "base/memory/huge_pages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string_view>

namespace citadel {
namespace {

// The kept blocks. No allocation happens here (it runs inside operator new
// and delete): a fixed table, searched linearly — it holds a few dozen blocks
// at most, touched only for blocks of megabytes.
class RetainedBlocks {
 public:
  void Open() {
    std::lock_guard lock(mu_);
    ++scopes_;
  }

  void Close() {
    std::lock_guard lock(mu_);
    if (--scopes_ == 0) {
      while (count_ > 0) ReleaseOldest();
    }
  }

  void* Take(std::size_t capacity) {
    std::lock_guard lock(mu_);
    if (count_ == 0) return nullptr;
    std::size_t best = count_;
    for (std::size_t i = 0; i < count_; ++i) {
      const std::size_t c = entries_[i].capacity;
      if (c >= capacity && c - capacity <= capacity / 4 &&
          (best == count_ || c < entries_[best].capacity)) {
        best = i;
      }
    }
    if (best != count_) {
      void* block = entries_[best].block;
      Erase(best);
      return block;
    }
    for (std::size_t freed = 0; count_ > 0 && freed < capacity;) freed += ReleaseOldest();
    return nullptr;
  }

  bool Keep(void* block, std::size_t capacity) {
    std::lock_guard lock(mu_);
    if (scopes_ == 0 || count_ == entries_.size() ||
        Bytes() + capacity > LargeBlockRetention::kMaxRetainedBytes) {
      return false;
    }
    entries_[count_++] = {block, capacity};
    return true;
  }

  std::size_t bytes() {
    std::lock_guard lock(mu_);
    return Bytes();
  }

 private:
  struct Entry {
    void* block;
    std::size_t capacity;
  };

  // Summed when asked: a few dozen entries at most, rather than a total
  // kept in step with every change.
  std::size_t Bytes() const {
    std::size_t total = 0;
    for (std::size_t i = 0; i < count_; ++i) total += entries_[i].capacity;
    return total;
  }

  // Entries stay in the order they were kept: [0] is the oldest.
  void Erase(std::size_t i) {
    for (std::size_t j = i + 1; j < count_; ++j) entries_[j - 1] = entries_[j];
    --count_;
  }

  std::size_t ReleaseOldest() {
    const Entry oldest = entries_[0];
    Erase(0);
    std::free(oldest.block);
    return oldest.capacity;
  }

  std::mutex mu_;
  int scopes_ = 0;
  std::array<Entry, 64> entries_{};
  std::size_t count_ = 0;
};

// Constant-initialised and trivially destructible: usable by an operator
// new or delete that runs before main or after exit.
constinit RetainedBlocks retained;

}  // namespace

bool HugePagesWanted() {
  const char* setting = std::getenv("CITADEL_HUGE_PAGES");
  if (setting == nullptr) return true;
  const std::string_view v(setting);
  return !(v == "off" || v == "0" || v == "false" || v == "never");
}

bool AdviseHugePages(void* data, std::size_t size) {
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  // madvise wants a page-aligned start; the partial pages at either end are
  // shared with other blocks and are left alone.
  const std::uintptr_t first = (begin + page - 1) / page * page;
  const std::uintptr_t last = (begin + size) / page * page;
  if (last <= first) return false;
  return madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE) == 0;
}

LargeBlockRetention::LargeBlockRetention() { retained.Open(); }
LargeBlockRetention::~LargeBlockRetention() { retained.Close(); }
std::size_t LargeBlockRetention::RetainedBytes() { return retained.bytes(); }

void* TakeRetainedBlock(std::size_t capacity) { return retained.Take(capacity); }
bool RetainBlock(void* block, std::size_t capacity) { return retained.Keep(block, capacity); }

}  // namespace citadel
