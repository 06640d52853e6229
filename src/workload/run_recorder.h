// Records one step execution as a run: the catalog row (running → succeeded /
// failed), its input and output edges, metrics (buffered, written in batches),
// and a log file at runs/<id>/log.txt that receives every log line while the
// recorder is alive.
//
// A recorder destroyed without Finish() marks its run failed ("interrupted"),
// so an error path can never leave a run looking alive. Not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/logging.h"
#include "base/status.h"
#include "catalog/records.h"
#include "workload/workspace.h"

namespace citadel::workload {

class RunRecorder {
 public:
  // `run` carries everything but id, status and started_at, which are set here.
  static Result<std::unique_ptr<RunRecorder>> Start(Workspace& ws, catalog::RunRecord run);
  ~RunRecorder();
  RunRecorder(const RunRecorder&) = delete;
  RunRecorder& operator=(const RunRecorder&) = delete;

  const std::string& run_id() const { return run_.id; }
  std::filesystem::path dir() const { return ws_.RunDir(run_.id); }

  Status AddInput(const std::string& role, const std::string& artifact_id);
  Status AddOutput(const std::string& role, const std::string& artifact_id);
  // Buffered; flushed every kFlushEvery points, when
  // the last flush is kFlushAfterMs old, and by Finish().
  Status AddMetric(const std::string& key, int64_t step, double value);

  Status Finish(catalog::RunStatus status, const std::string& message);

 private:
  static constexpr size_t kFlushEvery = 256;
  static constexpr int64_t kFlushAfterMs = 2000;
  RunRecorder(Workspace& ws, catalog::RunRecord run) : ws_(ws), run_(std::move(run)) {}
  Status FlushMetrics();

  Workspace& ws_;
  catalog::RunRecord run_;
  std::unique_ptr<log::RunLogSink> log_sink_;
  std::vector<catalog::MetricPoint> pending_;
  bool finished_ = false;
  int64_t last_flush_ms_ = 0;
};

}  // namespace citadel::workload
