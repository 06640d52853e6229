// Runs a pipeline spec in a workspace: validates every step first, then
// executes them in order, each as a recorded run, skipping (and recording as
// cached) any step whose cache key — digest of the step spec, its input
// artifact ids and the Citadel version — matches an earlier successful run
// whose outputs are still in the store.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "workload/workspace.h"

namespace citadel::workload {

struct RunOptions {
  bool force = false;  // re-execute every step even when cached
};

struct StepOutcome {
  std::string name;
  std::string kind;
  std::string run_id;  // empty when the step never started
  std::string status;  // succeeded | failed | skipped
  bool cached = false;
  double seconds = 0;
  std::map<std::string, std::string> outputs;  // role → artifact id
  std::map<std::string, double> metrics;       // headline metrics
  std::string error;
};

struct PipelineOutcome {
  std::string pipeline;
  std::vector<StepOutcome> steps;
  Status status;  // the first failure, or OK

  // The --json shape of ARCHITECTURE.md §7.
  Json ToJson() const;
};

// Spec errors (bad fields, unknown refs) fail before any step runs, with the
// spec file and line. A failing step stops the pipeline; the outcome lists it
// with its error and the remaining steps as skipped.
Result<PipelineOutcome> RunPipeline(Workspace& ws, const std::filesystem::path& spec_path,
                                    const RunOptions& options);

// Runs of this host left `running` by a process that no longer exists
// (killed, crashed) are marked failed. Returns how many were reaped.
Result<int> ReapAbandonedRuns(Workspace& ws);

}  // namespace citadel::workload
