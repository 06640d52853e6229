// Training checkpoints as artifacts (kind `checkpoint`, one file
// checkpoint.safetensors, output role "checkpoint" of the train run).
//
// CheckpointWriter takes the snapshots a training loop hands over and writes
// them on a background thread — serialised, hashed and committed to the blob
// store (temp file, fsync, rename) — then records them in the catalog from
// the training thread (the catalog connection is single-threaded). A
// checkpoint exists for resuming only once it is recorded, so a process
// killed mid-write leaves at most an unreferenced temp file. After each
// record it prunes the run's checkpoints to the newest `keep`.
//
// FindResumePoint picks the checkpoint an interrupted train step continues
// from: the newest one, by step, among the unfinished runs of the same cache
// key (same spec, inputs and Citadel version), verifying its bytes; a
// corrupt or missing one is skipped with a warning naming it.
#pragma once

#include <future>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "ml/training/trainer.h"
#include "workload/pipeline/step_runner.h"

namespace citadel::workload {

inline constexpr std::string_view kCheckpointMediaType =
    "application/vnd.citadel.checkpoint.v1+safetensors";
inline constexpr std::string_view kCheckpointRole = "checkpoint";
inline constexpr std::string_view kCheckpointFile = "checkpoint.safetensors";

class CheckpointWriter {
 public:
  CheckpointWriter(StepContext& ctx, int keep) : ctx_(ctx), keep_(keep) {}
  // Waits for a write still in flight (its outcome is dropped: the error
  // path that destroys a writer already has an error to report).
  ~CheckpointWriter();
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  // Starts writing `snapshot` in the background. One write is in flight at
  // a time: a previous one still running is waited for (and recorded)
  // first, which bounds memory to two snapshots. With `final`, returns only
  // once this one is recorded.
  Status Submit(std::unique_ptr<ml::CheckpointSnapshot> snapshot, bool final);
  // Records a finished write without waiting for an unfinished one; call it
  // often (between training steps).
  Status Poll();
  // Waits for and records the write in flight, if any.
  Status Flush();

  // The last checkpoint recorded: artifact id, step and epoch.
  struct Recorded {
    std::string id;
    int64_t step = 0;
    int64_t epoch = 0;
  };
  const std::optional<Recorded>& last() const { return last_; }
  // Wall time the training thread spent on checkpoints: taking the
  // snapshots, handing them over and waiting for a previous write.
  double blocked_seconds() const { return blocked_seconds_; }
  int count() const { return count_; }

 private:
  struct Written {
    store::Manifest manifest;
    int64_t step = 0;
    int64_t epoch = 0;
    uint64_t bytes = 0;
    double seconds = 0;
  };
  Status Record(Result<Written> written);
  Status Prune();

  StepContext& ctx_;
  const int keep_;
  std::future<Result<Written>> in_flight_;
  std::optional<Recorded> last_;
  double blocked_seconds_ = 0;
  int submitted_ = 0;
  int count_ = 0;
};

struct ResumePoint {
  std::string run_id;         // the interrupted run
  std::string checkpoint_id;  // its checkpoint artifact
  int64_t step = 0;
  int64_t epoch = 0;
  MappedFile file;  // the verified checkpoint file
  std::string_view bytes() const { return file.bytes(); }
};

// `only_run` restricts the search to one run (citadel runs resume RUN_ID).
// nullopt when there is nothing to resume from.
Result<std::optional<ResumePoint>> FindResumePoint(Workspace& ws, const std::string& cache_key,
                                                   const std::optional<std::string>& only_run);

}  // namespace citadel::workload
