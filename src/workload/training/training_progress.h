// Shows a train step's progress while it runs. On a terminal (stderr is a
// TTY) a live line — epoch, step, loss, samples/s, ETA — redrawn at most 10
// times a second; otherwise a structured log line every `log_every` seconds,
// which a log collector can parse (key=value). Either way the batch loss is
// streamed to the catalog as the metric `step_loss` about once a second, so
// `citadel runs show` reflects a run that is still training.
#pragma once

#include <string>

#include "base/time.h"
#include "ml/training/trainer.h"
#include "workload/pipeline/step_runner.h"

namespace citadel::workload {

class TrainingProgress {
 public:
  TrainingProgress(StepContext& ctx, double log_every_seconds = 10.0);
  ~TrainingProgress() { Clear(); }

  // Called after every optimizer step; cheap when nothing is due. A failed
  // metric write is kept and returned by status().
  void OnStep(const ml::StepProgress& p);
  // Erases the live line before other output (epoch summaries, errors).
  void Clear();
  const Status& status() const { return status_; }

  // "1h02m", "3m05s", "12s".
  static std::string FormatDuration(double seconds);
  // The live line for `p` with `eta_seconds` to go.
  static std::string Line(const ml::StepProgress& p, double eta_seconds);

 private:
  StepContext& ctx_;
  const bool tty_;
  const double log_every_;
  Stopwatch clock_;
  double last_draw_ = -1;
  double last_metric_ = -1;
  double last_log_ = 0;
  int64_t first_step_ = -1;  // the step this process started from (resume)
  bool drawn_ = false;
  Status status_;
};

}  // namespace citadel::workload
