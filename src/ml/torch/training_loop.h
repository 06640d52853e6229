// One training run, epoch by epoch. Everything that changes while training
// is held in TrainingState, so that saving it is a checkpoint and loading it
// resumes the run: the learning rate is a function of TrainingState::epoch
// (lr_schedule.h) and the data order of order_rng/order. Dropout draws from
// torch's global generator, which a checkpoint must save beside this state.
//
// Not thread-safe: one thread drives a loop.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "base/random.h"
#include "base/status.h"
#include "base/text/json.h"
#include "ml/torch/pch.h"
#include "ml/training/train_spec.h"
#include "ml/training/trainer.h"

namespace citadel::ml::internal {

// The examples, as tensors; fixed for the whole run.
struct TrainingData {
  torch::Tensor features;       // F32 [rows, features]
  torch::Tensor labels;         // I64 [rows]
  torch::Tensor val_features;   // undefined without a validation dataset
  torch::Tensor val_labels;     // I64 [val rows]
  torch::Tensor class_weights;  // F32 [classes]; undefined when unweighted
};

struct TrainingState {
  torch::nn::Sequential net;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  SeededRng order_rng{0};      // the data order's generator…
  std::vector<int64_t> order;  // …and the order it last produced (shuffled in place)
  int64_t epoch = 0;           // epochs completed: the lr schedule's position
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

  // All epochs have run, or early stopping has fired.
  bool Done() const;

  // Trains one epoch at the scheduled learning rate, then evaluates the
  // validation set and updates the early-stopping record. FailedPrecondition
  // when the loss is not finite.
  Result<EpochMetrics> RunEpoch();

  // With early stopping, puts the best epoch's parameters back into the
  // network; otherwise the last epoch's stay. Leaves the network in eval mode.
  void Finish();

  const TrainingState& state() const { return state_; }
  torch::nn::Sequential& net() { return state_.net; }

  // model.json's training.early_stopping (null without early stopping).
  Json EarlyStoppingJson() const;

 private:
  TrainingLoop(const TrainSpec& spec, TrainingData data);

  // Loss and accuracy on the validation set, no gradients, eval mode.
  std::pair<double, double> Validate();
  void RecordValidation(const EpochMetrics& m);

  const TrainSpec spec_;
  const TrainingData data_;
  TrainingState state_;
};

}  // namespace citadel::ml::internal
