#include "workload/run_recorder.h"

#include <fmt/format.h>

#include "base/ids.h"
#include "base/system/files.h"
#include "base/time.h"
#include "workload/run_attestation.h"

namespace citadel::workload {

Result<std::unique_ptr<RunRecorder>> RunRecorder::Start(Workspace& ws, catalog::RunRecord run) {
  run.id = NewUuidV7();
  run.status = catalog::RunStatus::kRunning;
  run.started_at = NowIso8601();
  RETURN_IF_ERROR(CreateDirectories(ws.RunDir(run.id)));
  RETURN_IF_ERROR(ws.catalog().CreateRun(run));
  std::unique_ptr<RunRecorder> recorder(new RunRecorder(ws, std::move(run)));
  ASSIGN_OR_RETURN(recorder->log_sink_, log::RunLogSink::Open(recorder->dir() / "log.txt"));
  return recorder;
}

RunRecorder::~RunRecorder() {
  if (!finished_)
    Finish(catalog::RunStatus::kFailed, "interrupted before the step finished").IgnoreError();
}

Status RunRecorder::AddInput(const std::string& role, const std::string& artifact_id) {
  return ws_.catalog().AddRunInput(run_.id, artifact_id, role);
}

Status RunRecorder::AddOutput(const std::string& role, const std::string& artifact_id) {
  return ws_.catalog().AddRunOutput(run_.id, artifact_id, role);
}

Status RunRecorder::AddMetric(const std::string& key, int64_t step, double value) {
  const int64_t now = NowUnixMillis();
  pending_.push_back({key, step, value, now});
  // By count and by age: a long training run's metrics reach the catalog
  // while it runs, a few transactions a second at most.
  if (pending_.size() >= kFlushEvery || now - last_flush_ms_ >= kFlushAfterMs) {
    return FlushMetrics();
  }
  return Status::Ok();
}

Status RunRecorder::FlushMetrics() {
  last_flush_ms_ = NowUnixMillis();
  if (pending_.empty()) return Status::Ok();
  Status s = ws_.catalog().AddMetrics(run_.id, pending_);
  pending_.clear();
  return s;
}

Status RunRecorder::Finish(catalog::RunStatus status, const std::string& message) {
  finished_ = true;
  Status flushed = FlushMetrics();
  log_sink_.reset();
  if (!flushed.ok() && status == catalog::RunStatus::kSucceeded) {
    status = catalog::RunStatus::kFailed;
    RETURN_IF_ERROR(ws_.catalog().FinishRun(run_.id, status,
                                            "recording metrics failed: " + flushed.ToString()));
    return flushed;
  }
  RETURN_IF_ERROR(ws_.catalog().FinishRun(run_.id, status, message));
  // Attested after the run is finished so the statement carries its finish
  // time; a failed or interrupted run is attested too when it left outputs
  // (checkpoints a later run resumes from need a provenance of their own).
  Status attested = AttestRun(ws_, run_.id);
  if (!attested.ok() && status == catalog::RunStatus::kSucceeded) {
    // Unattested outputs must not pass as a good run: it becomes a failed
    // one, so the step is re-executed rather than reused from the cache.
    ws_.catalog()
        .FinishRun(run_.id, catalog::RunStatus::kFailed,
                   "recording its provenance failed: " + attested.ToString())
        .IgnoreError();
  }
  return attested.WithContext(fmt::format("attesting the provenance of run {}", run_.id));
}

}  // namespace citadel::workload
