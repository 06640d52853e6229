// Citadel's MaxPool module against torch's own max_pool2d: the values, and
// through autograd the gradients, bit for bit — on inputs with NaN, ±inf,
// ±0 and many ties (ReLU outputs are often equal), sizes that round down,
// pools of 2 and 3, and an upstream gradient that is not contiguous.
#include "ml/torch/max_pool.h"

#include <gtest/gtest.h>

#include <limits>

namespace citadel::ml::internal {
namespace {

torch::Tensor Sprinkled(std::vector<int64_t> shape, uint64_t seed) {
  torch::manual_seed(seed);
  // Halves: many equal values in a window.
  torch::Tensor x = torch::round(torch::randn(shape) * 2) / 2;
  const float specials[] = {std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(), 0.0f, -0.0f};
  torch::Tensor flat = x.view({-1});
  const torch::Tensor picks = torch::randint(0, flat.numel(), {flat.numel() / 8}, torch::kLong);
  for (int64_t i = 0; i < picks.numel(); ++i) {
    flat[picks[i].item<int64_t>()] = specials[i % 5];
  }
  return x;
}

// Same bits, NaN payloads included.
void ExpectSameBits(const torch::Tensor& got, const torch::Tensor& want, const char* what) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  EXPECT_TRUE(torch::equal(got.contiguous().view(torch::kInt32),
                           want.contiguous().view(torch::kInt32)))
      << what;
}

TEST(MaxPoolModule, ValuesAndGradientsAreTorchsBitForBit) {
  struct Case {
    std::vector<int64_t> shape;
    int64_t pool;
  };
  uint64_t seed = 1;
  for (const Case& c : {Case{{2, 3, 8, 8}, 2}, Case{{3, 2, 9, 11}, 2}, Case{{2, 3, 9, 11}, 3},
                        Case{{1, 4, 7, 7}, 3}, Case{{4, 16, 28, 28}, 2}}) {
    SCOPED_TRACE(::testing::Message() << c.shape << " pool " << c.pool);
    const torch::Tensor input = Sprinkled(c.shape, seed++);
    MaxPool ours(c.pool);

    // Training: through autograd.
    torch::Tensor x = input.clone().requires_grad_();
    torch::Tensor y = input.clone().requires_grad_();
    torch::Tensor out = ours->forward(x);
    torch::Tensor want = torch::max_pool2d(y, c.pool);
    ExpectSameBits(out, want, "forward with autograd");
    // An upstream gradient laid out transposed (not contiguous).
    const torch::Tensor grad =
        torch::randn({want.size(0), want.size(1), want.size(3), want.size(2)}).transpose(2, 3);
    ASSERT_FALSE(grad.is_contiguous());
    out.backward(grad);
    want.backward(grad);
    ExpectSameBits(x.grad(), y.grad(), "gradient");

    // Inference: no autograd, no maxima recorded.
    torch::NoGradGuard no_grad;
    ExpectSameBits(ours->forward(input), torch::max_pool2d(input, c.pool), "forward without grad");
    // A non-contiguous input (channels last) gives the same too.
    const torch::Tensor strided = input.contiguous(torch::MemoryFormat::ChannelsLast);
    ExpectSameBits(ours->forward(strided), torch::max_pool2d(input, c.pool),
                   "forward of a channels-last input");
  }
}

TEST(MaxPoolModule, LeavesBadShapesToTorchsErrors) {
  MaxPool ours(2);
  EXPECT_THROW(ours->forward(torch::zeros({1, 1, 1, 1})), c10::Error);
}

}  // namespace
}  // namespace citadel::ml::internal
