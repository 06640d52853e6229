#include "base/logging.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "base/time.h"

namespace citadel::log {
namespace {

Level LevelFromEnv() {
  const char* value = std::getenv("CITADEL_LOG_LEVEL");
  if (value == nullptr) return Level::kInfo;
  std::string_view v(value);
  if (v == "debug") return Level::kDebug;
  if (v == "warning") return Level::kWarning;
  if (v == "error") return Level::kError;
  return Level::kInfo;
}

struct LoggerState {
  std::mutex mu;
  Level stderr_level = LevelFromEnv();  // guarded by mu
  std::FILE* run_file = nullptr;        // guarded by mu
};

LoggerState& State() {
  static LoggerState* state = new LoggerState();  // never destroyed: usable in atexit paths
  return *state;
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "DEBUG";
    case Level::kInfo:
      return "INFO ";
    case Level::kWarning:
      return "WARN ";
    case Level::kError:
      return "ERROR";
  }
  return "?";
}

}  // namespace

void SetStderrLevel(Level level) {
  std::lock_guard lock(State().mu);
  State().stderr_level = level;
}

void Write(Level level, std::string_view message) {
  std::string line = fmt::format("{} {} {}\n", NowIso8601(), LevelName(level), message);
  LoggerState& state = State();
  std::lock_guard lock(state.mu);
  if (level >= state.stderr_level) std::fputs(line.c_str(), stderr);
  if (state.run_file != nullptr && level >= Level::kInfo) {
    std::fputs(line.c_str(), state.run_file);
    std::fflush(state.run_file);
  }
}

Result<std::unique_ptr<RunLogSink>> RunLogSink::Open(const std::filesystem::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "ae");
  if (file == nullptr) return ErrnoError("opening run log", path.string(), errno);
  {
    std::lock_guard lock(State().mu);
    State().run_file = file;
  }
  return std::unique_ptr<RunLogSink>(new RunLogSink(file));
}

RunLogSink::~RunLogSink() {
  {
    std::lock_guard lock(State().mu);
    if (State().run_file == file_) State().run_file = nullptr;
  }
  std::fclose(file_);
}

}  // namespace citadel::log
