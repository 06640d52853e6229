// MakeOptimizer, the learning-rate setter and gradient clipping (optimizers.h).
#include "ml/torch/training/optimizers.h"

namespace citadel::ml::internal {

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const OptimizerSpec& spec,
                                                       std::vector<torch::Tensor> params) {
  if (spec.name == "sgd") {
    return std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(spec.lr)
                                                           .momentum(spec.momentum)
                                                           .nesterov(spec.nesterov)
                                                           .weight_decay(spec.weight_decay));
  }
  const auto betas = std::make_tuple(spec.beta1, spec.beta2);
  if (spec.name == "adamw") {
    return std::make_unique<torch::optim::AdamW>(
        params, torch::optim::AdamWOptions(spec.lr).betas(betas).eps(spec.eps).weight_decay(
                    spec.weight_decay));
  }
  return std::make_unique<torch::optim::Adam>(
      params, torch::optim::AdamOptions(spec.lr).betas(betas).eps(spec.eps).weight_decay(
                  spec.weight_decay));
}

void SetLearningRate(torch::optim::Optimizer& optimizer, double lr) {
  for (torch::optim::OptimizerParamGroup& group : optimizer.param_groups()) {
    group.options().set_lr(lr);
  }
}

double LearningRate(const torch::optim::Optimizer& optimizer) {
  return optimizer.param_groups().front().options().get_lr();
}

void ClipGradients(const GradClipSpec& clip, const std::vector<torch::Tensor>& params) {
  if (clip.max_value) torch::nn::utils::clip_grad_value_(params, *clip.max_value);
  if (clip.max_norm) torch::nn::utils::clip_grad_norm_(params, *clip.max_norm);
}

}  // namespace citadel::ml::internal
