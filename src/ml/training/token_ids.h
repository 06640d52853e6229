// The token ids a transformer reads: checks that a dataset's features are
// ids (whole numbers in [0, 2^24), which float32 holds exactly) and resolves
// the model's vocabulary size from them. Torch-free, so that the train step
// can size the model (resources.memory) before the runtime is loaded.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "ml/dataset_view.h"
#include "ml/training/train_spec.h"

namespace citadel::ml {

// The largest token id in `data`'s features. InvalidArgument naming the
// dataset, row and feature when a value is not an id; -1 for no rows.
Result<int64_t> LargestTokenId(const DatasetView& data);

// For a transformer: sets spec.transformer.vocab_size to the largest id in
// `train` and `validation` + 1 when it is unset, or checks that every id is
// below the declared size. Other architectures are left alone.
Status ResolveTokenVocabulary(TrainSpec& spec, const DatasetView& train,
                              const DatasetView* validation);

}  // namespace citadel::ml
