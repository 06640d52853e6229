// One training run, step by step. Everything that changes while training is
// held in TrainingState, so that saving it is a checkpoint and loading it
// resumes the run (checkpoint.cc): the learning rate is a function of
// TrainingState::epoch (lr_schedule.h), the data order of order_rng/order,
// and the position inside an epoch of next_sample. Dropout draws from torch's
// global generator, which a checkpoint saves beside this state.
//
// Not thread-safe: one thread drives a loop.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include "base/random.h"
#include "base/status.h"
#include "base/text/json.h"
#include "ml/torch/network.h"
#include "ml/torch/pch.h"
#include "ml/training/train_spec.h"
#include "ml/training/trainer.h"

namespace citadel::ml::internal {

class GlooGroup;

// The examples, as tensors; fixed for the whole run.
struct TrainingData {
  torch::Tensor features;       // F32 [rows, features]
  torch::Tensor labels;         // I64 [rows]
  torch::Tensor val_features;   // undefined without a validation dataset
  torch::Tensor val_labels;     // I64 [val rows]
  torch::Tensor class_weights;  // F32 [classes]; undefined when unweighted
};

struct TrainingState {
  std::unique_ptr<Network> net;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  SeededRng order_rng{0};      // the data order's generator…
  std::vector<int64_t> order;  // …and the order it last produced (shuffled in place)
  int64_t epoch = 0;           // epochs completed: the lr schedule's position
  int64_t step = 0;            // optimizer steps done in the whole run
  // Inside an epoch: the index into `order` of its next batch and the sums
  // so far. 0 between epochs (the next epoch shuffles first).
  int64_t next_sample = 0;
  double epoch_loss_sum = 0;
  int64_t epoch_correct = 0;
  double epoch_seconds = 0;  // time spent in the epoch before a resume
  // Early stopping: the best validation value so far, its epoch (0 before
  // the first) and a copy of the parameters then.
  int64_t best_epoch = 0;
  double best_value = 0;
  int64_t epochs_since_best = 0;
  std::vector<torch::Tensor> best_weights;
  bool stopped_early = false;
  std::vector<EpochMetrics> history;
};

class TrainingLoop {
 public:
  // Seeds torch, builds the network and the optimizer. `data.class_weights`,
  // when defined, has one entry per class.
  static Result<std::unique_ptr<TrainingLoop>> Start(const TrainSpec& spec, TrainingData data,
                                                     int64_t classes);

  // Data-parallel training in `group` (distributed.h); `interrupt` is this
  // process's stop request. Both may be null; call before the first epoch.
  void Attach(GlooGroup* group, const std::atomic<int>* interrupt) {
    group_ = group;
    interrupt_ = interrupt;
  }
  bool IsRankZero() const;

  // The signal that asked training to stop (0: none). In a group, a request
  // on any rank, seen by every rank at the same step.
  int StopSignal() const;

  // All epochs have run, or early stopping has fired.
  bool Done() const;

  // Trains the rest of the current epoch at the scheduled learning rate,
  // then evaluates the validation set and updates the early-stopping record.
  // `on_step` (may be empty) sees every optimizer step; `between_steps` runs
  // after every step but an epoch's last, where the state is a consistent
  // checkpoint — a non-OK status from it returns with the epoch unfinished,
  // and a later RunEpoch continues it. FailedPrecondition when the loss is
  // not finite.
  Result<EpochMetrics> RunEpoch(const std::function<void(const StepProgress&)>& on_step,
                                const std::function<Status()>& between_steps);

  int64_t BatchesPerEpoch() const;

  // FailedPrecondition naming the first parameter with a NaN or infinite
  // value: a diverged state must never become a checkpoint.
  Status CheckFinite() const;

  // A copy of the state for a checkpoint (checkpoint.cc); `fingerprint`
  // identifies the spec and data it belongs to.
  std::unique_ptr<CheckpointSnapshot> Snapshot(const std::string& fingerprint) const;
  // Replaces the state with a checkpoint's, right after Start(). DataLoss
  // when `bytes` is not a checkpoint of this fingerprint and network.
  Status Restore(std::string_view bytes, const std::string& fingerprint);

  // With early stopping, puts the best epoch's parameters back into the
  // network; otherwise the last epoch's stay. Leaves the network in eval mode.
  void Finish();

  const TrainingState& state() const { return state_; }
  Network& net() { return *state_.net; }

  // model.json's training.early_stopping (null without early stopping).
  Json EarlyStoppingJson() const;

 private:
  TrainingLoop(const TrainSpec& spec, TrainingData data);

  // One optimizer step on the rows `index` of the training data: returns
  // the batch's mean loss and adds to the epoch sums.
  Result<double> Step(const torch::Tensor& index, int64_t epoch, int64_t start);
  // The same in a group: this rank's shard, then one all-reduce of the
  // gradients, loss, accuracy and stop requests.
  Result<double> DistributedStep(const torch::Tensor& index, int64_t epoch, int64_t start);
  // A group's ranks average their batch-norm statistics.
  void AverageBuffers();
  Status Diverged(int64_t epoch, int64_t start, double loss) const;

  // Loss and accuracy on the validation set, no gradients, eval mode.
  std::pair<double, double> Validate();
  void RecordValidation(const EpochMetrics& m);

  const TrainSpec spec_;
  const TrainingData data_;
  TrainingState state_;
  GlooGroup* group_ = nullptr;
  const std::atomic<int>* interrupt_ = nullptr;
  int group_stop_ = 0;  // the stop request the last all-reduce carried
};

}  // namespace citadel::ml::internal
