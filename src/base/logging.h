// Process-wide logging: timestamped lines on stderr, and additionally into the
// log file of the run being executed while a RunLogSink is alive.
//
// Thread-safe: lines from concurrent threads never interleave.
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <string_view>

#include "base/status.h"

namespace citadel::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Lines below `level` are dropped on stderr (run log files get every line at
// kInfo and above). The initial level comes from CITADEL_LOG_LEVEL
// (debug|info|warning|error), default info.
void SetStderrLevel(Level level);
void Write(Level level, std::string_view message);

// While alive, every log line is appended to `path` as well. One sink at a
// time per process (a second replaces the first until it is destroyed).
class RunLogSink {
 public:
  static Result<std::unique_ptr<RunLogSink>> Open(const std::filesystem::path& path);
  ~RunLogSink();
  RunLogSink(const RunLogSink&) = delete;
  RunLogSink& operator=(const RunLogSink&) = delete;

 private:
  explicit RunLogSink(std::FILE* file) : file_(file) {}
  std::FILE* file_;
};

template <typename... Args>
void Debug(fmt::format_string<Args...> f, Args&&... args) {
  Write(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Info(fmt::format_string<Args...> f, Args&&... args) {
  Write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Warning(fmt::format_string<Args...> f, Args&&... args) {
  Write(Level::kWarning, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void Error(fmt::format_string<Args...> f, Args&&... args) {
  Write(Level::kError, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace citadel::log
