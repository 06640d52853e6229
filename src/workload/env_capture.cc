#include "workload/env_capture.h"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <thread>

#include "base/system/host_info.h"
#include "base/version.h"

namespace citadel::workload {

Json CaptureRunEnvironment(int threads, const ml::RuntimeInfo* ml) {
  struct utsname uts {};
  std::string os = "unknown";
  if (::uname(&uts) == 0) os = fmt::format("{} {} {}", uts.sysname, uts.release, uts.machine);
  constexpr const char* kNotLoaded = "not loaded";
  std::string blas = ml == nullptr ? kNotLoaded : ml->blas_library;
  return {
      {"citadel_version", CitadelVersion()},
      {"git_commit", CitadelGitCommit()},
      {"libtorch", ml == nullptr ? kNotLoaded : ml->torch_version},
      {"libtorch_library", ml == nullptr ? kNotLoaded : ml->torch_library},
      {"blas", blas.empty() ? "none loaded" : blas},
      {"cpu", CpuModel()},
      {"cpu_count", std::thread::hardware_concurrency()},
      {"hostname", Hostname()},
      {"os", os},
      {"pid", static_cast<int64_t>(::getpid())},
      {"threads", threads},
  };
}

}  // namespace citadel::workload
