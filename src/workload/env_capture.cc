#include "workload/env_capture.h"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <thread>

#include "base/system/host_info.h"
#include "base/version.h"
#include "ml/runtime_info.h"

namespace citadel::workload {

Json CaptureRunEnvironment(int threads) {
  struct utsname uts {};
  std::string os = "unknown";
  if (::uname(&uts) == 0) os = fmt::format("{} {} {}", uts.sysname, uts.release, uts.machine);
  std::string blas = ml::BlasLibrary();
  return {
      {"citadel_version", CitadelVersion()},
      {"git_commit", CitadelGitCommit()},
      {"libtorch", ml::TorchVersion()},
      {"libtorch_library", ml::TorchLibrary()},
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
