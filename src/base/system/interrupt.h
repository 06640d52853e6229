// Turning SIGINT / SIGTERM into a request to stop cleanly, for the parts of a
// run that can stop cleanly (training checkpoints and returns). Outside an
// InterruptScope the signals keep their default action, so a data step that
// cannot stop half-way still dies at once and its run is reaped as failed.
#pragma once

#include <signal.h>

#include <atomic>

namespace citadel {

// While alive, the first SIGINT or SIGTERM sets signal() instead of killing
// the process; a second one gets the default action (the user insisted).
// Scopes do not nest.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

  // The signal received (SIGINT or SIGTERM), or 0.
  static const std::atomic<int>& signal();

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

}  // namespace citadel
