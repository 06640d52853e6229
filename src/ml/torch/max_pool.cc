#include "ml/torch/max_pool.h"

#include "ml/kernels/max_pool.h"

namespace citadel::ml::internal {
namespace {

// Planes are split over torch's intra-op threads, ~32 K values each at least.
int64_t Grain(int64_t plane_values) {
  return std::max<int64_t>(1, (int64_t{1} << 15) / plane_values);
}

// The pooled values of x (float, NCHW); with `argmax`, also each maximum's
// offset within its plane (int32: the module leaves larger planes to torch).
torch::Tensor Pool(const torch::Tensor& x, int64_t pool, torch::Tensor* argmax) {
  const torch::Tensor in = x.contiguous();
  const int64_t planes = in.size(0) * in.size(1), h = in.size(2), w = in.size(3);
  const int64_t oh = h / pool, ow = w / pool;
  torch::Tensor out = torch::empty({in.size(0), in.size(1), oh, ow}, in.options());
  const float* src = in.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  int32_t* offsets = nullptr;
  if (argmax != nullptr) {
    *argmax = torch::empty({in.size(0), in.size(1), oh, ow}, in.options().dtype(torch::kInt32));
    offsets = argmax->data_ptr<int32_t>();
  }
  at::parallel_for(0, planes, Grain(h * w), [&](int64_t begin, int64_t end) {
    if (offsets != nullptr) {
      MaxPoolPlanesWithArgmax(src + begin * h * w, end - begin, h, w, pool, dst + begin * oh * ow,
                              offsets + begin * oh * ow);
    } else {
      MaxPoolPlanes(src + begin * h * w, end - begin, h, w, pool, dst + begin * oh * ow);
    }
  });
  return out;
}

// The pooling as an autograd function: the forward pass records each
// maximum's offset, the backward pass sends each gradient to it.
class MaxPoolFunction : public torch::autograd::Function<MaxPoolFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               int64_t pool) {
    torch::Tensor argmax;
    torch::Tensor out = Pool(x, pool, &argmax);
    ctx->save_for_backward({argmax});
    ctx->saved_data["pool"] = pool;
    ctx->saved_data["height"] = x.size(2);
    ctx->saved_data["width"] = x.size(3);
    return out;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const torch::Tensor argmax = ctx->get_saved_variables()[0];
    const int64_t pool = ctx->saved_data["pool"].toInt();
    const int64_t h = ctx->saved_data["height"].toInt(), w = ctx->saved_data["width"].toInt();
    const torch::Tensor grad_out = grads[0].contiguous();
    const int64_t planes = argmax.size(0) * argmax.size(1);
    const int64_t outputs = argmax.size(2) * argmax.size(3);
    torch::Tensor grad_in =
        torch::zeros({argmax.size(0), argmax.size(1), h, w}, grad_out.options());
    const float* go = grad_out.data_ptr<float>();
    const int32_t* offsets = argmax.data_ptr<int32_t>();
    float* gi = grad_in.data_ptr<float>();
    at::parallel_for(0, planes, Grain(h * w), [&](int64_t begin, int64_t end) {
      MaxPoolBackwardPlanes(go + begin * outputs, offsets + begin * outputs, end - begin, h, w,
                            pool, gi + begin * h * w);
    });
    return {grad_in, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor MaxPoolImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 4 || x.scalar_type() != torch::kFloat32 || !x.device().is_cpu() ||
      x.size(2) < pool_ || x.size(3) < pool_ || x.size(2) * x.size(3) > INT32_MAX) {
    return torch::max_pool2d(x, pool_);
  }
  if (torch::GradMode::is_enabled() && x.requires_grad()) return MaxPoolFunction::apply(x, pool_);
  return Pool(x, pool_, nullptr);
}

}  // namespace citadel::ml::internal
