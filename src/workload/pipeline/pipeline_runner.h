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
  // Re-execute every step even when cached, and start interrupted train
  // steps over instead of resuming them from their checkpoints.
  bool force = false;
  // Train steps train data-parallel in this many local processes (1 = one).
  int workers = 1;
};

struct StepOutcome {
  std::string name;
  std::string kind;
  std::string run_id;  // empty when the step never started
  std::string status;  // succeeded | failed | cancelled | skipped
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

// `citadel runs resume RUN_ID`: runs the step of an interrupted (failed or
// cancelled) train run again as a new run, with the same spec and inputs,
// continuing from that run's newest valid checkpoint. FailedPrecondition
// when the run succeeded, is still running, is not a train step, or has no
// usable checkpoint. The outcome has the one step (and the pipeline's name).
Result<PipelineOutcome> ResumeRun(Workspace& ws, const std::string& run_id, int workers = 1);

// Runs of this host left `running` by a process that no longer exists
// (killed, crashed) are marked failed. Returns how many were reaped.
Result<int> ReapAbandonedRuns(Workspace& ws);

}  // namespace citadel::workload
