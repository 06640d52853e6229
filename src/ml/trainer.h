// Trains a classifier from a dataset artifact, deterministically: the same
// spec, data and thread count give bit-identical weights (seeded init, seeded
// data order, no nondeterministic kernels on CPU).
#pragma once

#include <functional>

#include "base/status.h"
#include "ml/dataset_view.h"
#include "ml/model_files.h"
#include "ml/train_spec.h"

namespace citadel::ml {

struct EpochMetrics {
  int64_t epoch = 0;  // 1-based
  double loss = 0;    // mean cross-entropy over the epoch's samples
  double accuracy = 0;
  double samples_per_second = 0;
};

// Called after every epoch; a non-OK status stops training with that error.
using EpochCallback = std::function<Status(const EpochMetrics&)>;

// Errors: InvalidArgument for unusable data (empty, one class, bad schema);
// FailedPrecondition when the loss diverges (NaN/inf), naming the epoch.
Result<ModelFiles> Train(const TrainSpec& spec, const DatasetView& train,
                         const EpochCallback& on_epoch);

}  // namespace citadel::ml
