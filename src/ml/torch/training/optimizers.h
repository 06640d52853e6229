// The optimizer of a TrainSpec, its per-epoch learning rate and gradient
// clipping: the torch half of the settings that train_spec.cc validates.
#pragma once

#include <memory>
#include <vector>

#include "ml/torch/pch.h"
#include "ml/training/train_spec.h"

namespace citadel::ml::internal {

// SGD (momentum, Nesterov), Adam (L2 weight decay added to the gradient) or
// AdamW (decoupled weight decay). The spec is assumed valid (ParseTrainSpec).
std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const OptimizerSpec& spec,
                                                       std::vector<torch::Tensor> params);

// One optimizer step. Adam and AdamW run fused: the update torch's
// Adam::step / AdamW::step makes, element by element in one loop per
// parameter instead of eight tensor operations (for small models those
// operations' dispatch cost more than the arithmetic), on the optimizer's own
// per-parameter state, so checkpoints and torch see the same state. The
// result equals torch's to float rounding, not bit for bit. SGD, and any
// parameter that is not a contiguous float tensor, go through torch.
void StepOptimizer(const OptimizerSpec& spec, torch::optim::Optimizer& optimizer);

// Sets the rate of every parameter group; the schedule calls it once per epoch.
void SetLearningRate(torch::optim::Optimizer& optimizer, double lr);
double LearningRate(const torch::optim::Optimizer& optimizer);

// Clips the gradients in place: each element to [-max_value, max_value],
// then the total L2 norm over all parameters to max_norm (torch's
// clip_grad_norm_), so the norm bound holds for the step taken.
void ClipGradients(const GradClipSpec& clip, const std::vector<torch::Tensor>& params);

}  // namespace citadel::ml::internal
