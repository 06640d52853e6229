// MakeOptimizer, the fused Adam/AdamW step, the learning-rate setter and
// gradient clipping (optimizers.h).
#include "ml/torch/training/optimizers.h"

#include <cmath>

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

namespace {

template <typename Options, typename State>
bool FusedAdamStep(torch::optim::Optimizer& optimizer, bool decoupled) {
  for (const torch::optim::OptimizerParamGroup& group : optimizer.param_groups()) {
    for (const torch::Tensor& p : group.params()) {
      if (p.scalar_type() != torch::kFloat32 || !p.is_contiguous() ||
          (p.grad().defined() && !p.grad().is_contiguous())) {
        return false;
      }
    }
  }
  torch::NoGradGuard no_grad;
  auto& states = optimizer.state();
  for (torch::optim::OptimizerParamGroup& group : optimizer.param_groups()) {
    const auto& options = static_cast<const Options&>(group.options());
    const double beta1 = std::get<0>(options.betas());
    const double beta2 = std::get<1>(options.betas());
    const double lr = options.lr();
    const double wd = options.weight_decay();
    for (torch::Tensor& p : group.params()) {
      if (!p.grad().defined()) continue;
      const std::string key = c10::guts::to_string(p.unsafeGetTensorImpl());
      auto found = states.find(key);
      if (found == states.end()) {
        auto state = std::make_unique<State>();
        state->step(0);
        state->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
        state->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
        found = states.emplace(key, std::move(state)).first;
      }
      auto& state = static_cast<State&>(*found->second);
      state.step(state.step() + 1);
      const double bias1 = 1 - std::pow(beta1, static_cast<double>(state.step()));
      const double bias2 = 1 - std::pow(beta2, static_cast<double>(state.step()));
      // The scalars as torch's kernels see them: float.
      const float b1 = static_cast<float>(beta1), one_minus_b1 = static_cast<float>(1 - beta1);
      const float b2 = static_cast<float>(beta2), one_minus_b2 = static_cast<float>(1 - beta2);
      const float sqrt_bias2 = static_cast<float>(std::sqrt(bias2));
      const float eps = static_cast<float>(options.eps());
      const float step_size = static_cast<float>(lr / bias1);
      const float l2 = decoupled ? 0.0f : static_cast<float>(wd);
      const float decay = decoupled ? static_cast<float>(1 - lr * wd) : 1.0f;
      float* w = p.data_ptr<float>();
      const float* g = p.grad().data_ptr<float>();
      float* m = state.exp_avg().template data_ptr<float>();
      float* v = state.exp_avg_sq().template data_ptr<float>();
      const int64_t n = p.numel();
      for (int64_t i = 0; i < n; ++i) {
        if (decoupled) w[i] *= decay;
        const float grad = g[i] + l2 * w[i];
        m[i] = m[i] * b1 + one_minus_b1 * grad;
        v[i] = v[i] * b2 + one_minus_b2 * grad * grad;
        w[i] -= step_size * (m[i] / (std::sqrt(v[i]) / sqrt_bias2 + eps));
      }
    }
  }
  return true;
}

}  // namespace

void StepOptimizer(const OptimizerSpec& spec, torch::optim::Optimizer& optimizer) {
  bool fused = false;
  if (spec.name == "adam") {
    fused =
        FusedAdamStep<torch::optim::AdamOptions, torch::optim::AdamParamState>(optimizer, false);
  } else if (spec.name == "adamw") {
    fused =
        FusedAdamStep<torch::optim::AdamWOptions, torch::optim::AdamWParamState>(optimizer, true);
  }
  if (!fused) optimizer.step();
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
