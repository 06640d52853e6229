// Trains a classifier from a dataset artifact, deterministically: the same
// spec, data and thread count give bit-identical weights (seeded init, seeded
// data order, a learning rate that is a pure function of the epoch, no
// nondeterministic kernels on CPU).
#pragma once

#include <functional>
#include <optional>

#include "base/status.h"
#include "ml/dataset_view.h"
#include "ml/model_files.h"
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

// `validation` (may be null) is evaluated after every epoch; early stopping
// needs it and must match the training data's features, classes and fitted
// preprocessing. With early stopping the returned weights are the best
// epoch's; model.json's training section records when it stopped and why.
// Errors: InvalidArgument for unusable data (empty, one class, bad schema,
// class_weights of the wrong length, a class absent under `balanced`,
// early_stopping without validation); FailedPrecondition for a validation
// dataset prepared differently, or when the loss diverges (NaN/inf), naming
// the epoch.
Result<ModelFiles> Train(const TrainSpec& spec, const DatasetView& train,
                         const EpochCallback& on_epoch, const DatasetView* validation = nullptr);

}  // namespace citadel::ml
