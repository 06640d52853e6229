// The environment a run executed in: enough to explain why two runs of the
// same step might differ (ARCHITECTURE.md §4, run.env).
#pragma once

#include "base/text/json.h"

namespace citadel::workload {

// {citadel_version, git_commit, libtorch, libtorch_library, blas, cpu, cpu_count, hostname, os,
//  pid, threads}. `threads` is the intra-op thread count the step asked for.
Json CaptureRunEnvironment(int threads);

}  // namespace citadel::workload
