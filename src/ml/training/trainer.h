// Trains a classifier from a dataset artifact, deterministically: the same
// spec, data and thread count give bit-identical weights (seeded init, seeded
// data order, a learning rate that is a pure function of the epoch, no
// nondeterministic kernels on CPU).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "ml/dataset_view.h"
#include "ml/model_files.h"
#include "ml/training/distributed.h"
#include "ml/training/train_spec.h"

namespace citadel::ml {

struct EpochMetrics {
  int64_t epoch = 0;  // 1-based
  double loss = 0;    // mean training loss over the epoch's samples (class-weighted if set)
  double accuracy = 0;
  double samples_per_second = 0;
  double lr = 0;  // the learning rate this epoch ran with (lr_schedule.h)
  // With a validation dataset, measured after the epoch in eval mode; the
  // loss is the training objective (class weights included).
  std::optional<double> val_loss;
  std::optional<double> val_accuracy;
};

// Called after every epoch; a non-OK status stops training with that error.
using EpochCallback = std::function<Status(const EpochMetrics&)>;

// Where training is, reported after every optimizer step (for progress bars).
struct StepProgress {
  int64_t step = 0;               // optimizer steps done in the whole run
  int64_t total_steps = 0;        // epochs × batches per epoch
  int64_t epoch = 0;              // 1-based epoch the step belongs to
  int64_t batch = 0;              // 1-based batch within the epoch
  int64_t batches = 0;            // batches per epoch
  double loss = 0;                // this batch's loss
  double samples_per_second = 0;  // over the epoch so far
};

// When to checkpoint: after every `every_steps` optimizer steps and/or when
// `every_seconds` have passed since the last one (0 = off), and always when
// training is interrupted.
struct CheckpointPolicy {
  int64_t every_steps = 0;
  double every_seconds = 0;
  bool enabled() const { return every_steps > 0 || every_seconds > 0; }
};

// A copy of the whole training state taken between two optimizer steps:
// weights, optimizer state, data order, RNG states, epoch, step, partial
// epoch sums, early-stopping record and metric history. Taking it is the only
// time the loop waits; Serialize() may then run on another thread while
// training goes on. The bytes are a safetensors file (docs/formats/
// checkpoint.md) that TrainHooks::resume_from accepts.
class CheckpointSnapshot {
 public:
  virtual ~CheckpointSnapshot() = default;
  virtual int64_t step() const = 0;   // optimizer steps done
  virtual int64_t epoch() const = 0;  // epochs completed
  // How long the training thread spent taking it.
  virtual double snapshot_seconds() const = 0;
  // The checkpoint file, piece by piece, straight from the snapshot's
  // tensors (a large one is never assembled in memory).
  using Sink = std::function<Status(std::string_view bytes)>;
  virtual Status WriteTo(const Sink& sink) const = 0;
  // The whole file in memory.
  Result<std::string> Serialize() const {
    std::string out;
    RETURN_IF_ERROR(WriteTo([&out](std::string_view bytes) {
      out += bytes;
      return Status::Ok();
    }));
    return out;
  }
};

// Everything a caller can attach to a training run besides its data.
struct TrainHooks {
  EpochCallback on_epoch;
  // After a resume, before training continues: the epochs the checkpoint's
  // runs completed (on_epoch then sees only the epochs run here) and how
  // long restoring the state took.
  std::function<Status(const std::vector<EpochMetrics>& done, double restore_seconds)> on_resume;
  std::function<void(const StepProgress&)> on_step;
  CheckpointPolicy checkpoint;
  // Receives each snapshot on the training thread; it should hand the bytes
  // to a background writer and return. `final` is true for the snapshot
  // taken when training is interrupted: the caller must have it durable
  // before it returns. A non-OK status stops training with that error.
  std::function<Status(std::unique_ptr<CheckpointSnapshot> snapshot, bool final)> on_checkpoint;
  // Set (to the signal number) by a signal handler: training takes a final
  // checkpoint at the next step boundary and returns Cancelled.
  const std::atomic<int>* interrupt = nullptr;
  // Data-parallel training in this group (distributed.h); null = alone.
  // Only rank 0 receives checkpoints.
  ProcessGroup* group = nullptr;
  // Serialized checkpoint of this same spec and data to continue from; empty
  // = start fresh. The resumed run ends with the same weights, bit for bit,
  // as one that was never interrupted (same thread count).
  std::string_view resume_from;
};

// `validation` (may be null) is evaluated after every epoch; early stopping
// needs it and must match the training data's features, classes and fitted
// preprocessing. With early stopping the returned weights are the best
// epoch's; model.json's training section records when it stopped and why.
// Errors: InvalidArgument for unusable data (empty, one class, bad schema,
// class_weights of the wrong length, a class absent under `balanced`,
// early_stopping without validation); FailedPrecondition for a validation
// dataset prepared differently, or when the loss or the weights diverge
// (NaN/inf), naming the epoch and step — no checkpoint is taken of a
// diverged state; DataLoss for a resume_from that is not a checkpoint of
// this spec and data; Cancelled when `interrupt` was set.
Result<ModelFiles> Train(const TrainSpec& spec, const DatasetView& train,
                         const DatasetView* validation, const TrainHooks& hooks);
// The same with only an epoch callback.
Result<ModelFiles> Train(const TrainSpec& spec, const DatasetView& train,
                         const EpochCallback& on_epoch, const DatasetView* validation = nullptr);

}  // namespace citadel::ml
