// Wall-clock timestamps for records and a monotonic stopwatch for durations.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace citadel {

// UTC, millisecond precision: "2026-11-25T22:40:01.123Z".
std::string NowIso8601();

// Milliseconds since the Unix epoch.
int64_t NowUnixMillis();

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double ElapsedSeconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  void Reset() { start_ = std::chrono::steady_clock::now(); }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace citadel
