// What a training run is expected to hold in memory, for the admission check
// of a train step's `resources.memory`: refused before any work is done,
// with the parts named, instead of failing (or swapping) halfway through.
#pragma once

#include <cstdint>
#include <string>

#include "ml/training/train_spec.h"

namespace citadel::ml {

struct TrainingMemory {
  // The datasets twice: their file bytes, and the tensors made from them.
  uint64_t data = 0;
  // Parameters, their gradients, the optimizer's state (Adam / AdamW: two
  // moments; SGD with momentum: one buffer) and, with early stopping, the
  // best epoch's copy — all float32.
  uint64_t model = 0;
  // One batch: each layer's inputs and outputs kept for backward, and their
  // gradients (float32).
  uint64_t activations = 0;

  uint64_t total() const { return data + model + activations; }
  // "data 12.0 MiB, model and optimizer 1.2 MiB, activations 0.3 MiB".
  std::string Describe() const;
};

// Trainable parameters of `spec.model` for `features` inputs and `classes`
// outputs (logreg: one linear layer; mlp: one per hidden width, plus the
// output). For a TorchScript module, whose layers are code, an estimate: its
// archive's size in float32s (the archive is mostly its weights).
uint64_t CountParameters(const ModelSpec& spec, int64_t features, int64_t classes);

// `dataset_bytes`: the data.safetensors sizes of the train and validation
// datasets together. Not counted: the runtime itself (libtorch's code and
// allocator caches, about 200 MB), which a limit must leave room for.
TrainingMemory EstimateTrainingMemory(const TrainSpec& spec, int64_t features, int64_t classes,
                                      uint64_t dataset_bytes);

}  // namespace citadel::ml
