// MaxPool: torch::nn::MaxPool2d(pool) (kernel = stride = pool, no padding,
// sizes rounded down) on Citadel's own kernels (kernels/max_pool.h) for
// float CPU tensors. torch 1.13's CPU kernel was 65 % of the Fashion CNN's
// forward time at batch 32 and 15 % of a training step (docs/benchmarks.md,
// tenth session). The values, the recorded maxima and so the gradients are
// torch's bit for bit: a model trains and predicts exactly as with
// torch::nn::MaxPool2d. It has no parameters, so a network's tensor names
// do not change either.
#pragma once

#include "ml/torch/pch.h"

namespace citadel::ml::internal {

class MaxPoolImpl final : public torch::nn::Cloneable<MaxPoolImpl> {
 public:
  explicit MaxPoolImpl(int64_t pool) : pool_(pool) {}
  void reset() override {}
  // Without autograd (evaluation, prediction, serving) no maxima are
  // recorded at all. Other dtypes, devices or a bad shape go to torch's op
  // (and its errors).
  torch::Tensor forward(const torch::Tensor& x);

 private:
  int64_t pool_;
};
TORCH_MODULE(MaxPool);

}  // namespace citadel::ml::internal
