// Data-parallel train steps (ml/training/distributed.h) from the workload's
// side: where the group's settings come from, the local worker processes of
// `citadel run --workers N`, and what a worker does.
//
// Rank 0 is always the process running the pipeline: it records the run,
// checkpoints and writes the model. It publishes the run id and the
// checkpoint to resume from in the group's store; every other rank — a child
// process on this machine, or a `citadel worker` task that a cluster
// scheduler started on another one, sharing the workspace through a shared
// filesystem — reads them, loads the same spec and inputs from the catalog
// and trains its shard.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "ml/training/distributed.h"
#include "workload/workspace.h"

namespace citadel::workload {

inline constexpr std::string_view kGroupRunKey = "citadel/run_id";
inline constexpr std::string_view kGroupResumeKey = "citadel/resume_from";
// The train step's input role for a torchscript model's module file.
inline constexpr std::string_view kModuleRole = "module";

// The group a cluster scheduler describes in the environment:
// CITADEL_WORLD_SIZE (or SLURM_NTASKS), CITADEL_RANK (or SLURM_PROCID),
// CITADEL_MASTER_ADDR and CITADEL_MASTER_PORT. nullopt when no world size
// above 1 is set; InvalidArgument naming the variable when one is malformed.
Result<std::optional<ml::DistributedSpec>> DistributedSpecFromEnvironment();

// `count` local worker processes, ranks 1…count: `citadel worker` started
// from this binary with the workspace and the group's address. Killed and
// reaped when destroyed unless they were waited for.
class LocalWorkers {
 public:
  static Result<std::unique_ptr<LocalWorkers>> Spawn(const Workspace& ws,
                                                     const ml::DistributedSpec& spec);
  ~LocalWorkers();
  LocalWorkers(const LocalWorkers&) = delete;
  LocalWorkers& operator=(const LocalWorkers&) = delete;

  // Waits for every worker (up to `timeout_seconds`, then kills the rest).
  // OK when all exited 0; otherwise Unavailable naming each failed rank,
  // its pid and how it ended.
  Status Wait(double timeout_seconds);
  // Sends SIGTERM, then SIGKILL to those still alive after a grace period.
  void Stop();
  // How the workers that already ended did ("rank 1 (pid 123) was killed by
  // signal 9"); empty when all are alive or exited 0.
  std::string Failures();
  // The same after waiting up to `seconds` for some worker to end: a peer's
  // closed connection can reach rank 0 before that peer's exit is reapable.
  std::string FailuresWithin(double seconds);

 private:
  LocalWorkers() = default;
  struct Worker {
    int rank = 0;
    pid_t pid = -1;
    std::optional<int> status;  // waitpid status once reaped
  };
  void Reap(bool block);

  std::vector<Worker> workers_;
};

// A free TCP port on the loopback interface for a local group.
Result<int> FreeLoopbackPort();

// `citadel worker`: joins the group as `spec.rank`, trains the step that
// rank 0 published, and returns when the group is done. Records nothing.
Status RunTrainWorker(Workspace& ws, const ml::DistributedSpec& spec);

}  // namespace citadel::workload
