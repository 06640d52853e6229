// The environment a run executed in: enough to explain why two runs of the
// same step might differ (ARCHITECTURE.md §4, run.env).
#pragma once

#include "base/text/json.h"
#include "ml/runtime_info.h"

namespace citadel::workload {

// {citadel_version, git_commit, libtorch, libtorch_library, blas, cpu, cpu_count, hostname, os,
//  pid, threads}. `threads` is the intra-op thread count the step asked for;
// `ml` the torch runtime the step runs on, or nullptr for a step that does
// not load it (libtorch, libtorch_library and blas then say "not loaded").
Json CaptureRunEnvironment(int threads, const ml::RuntimeInfo* ml);

}  // namespace citadel::workload
