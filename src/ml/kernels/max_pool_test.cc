// MaxPoolPlanes against torch's rule written out plainly: start from −inf,
// scan each window row by row, take a value when it is larger or NaN.
#include "ml/kernels/max_pool.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace citadel::ml::internal {
namespace {

// Each window's maximum and where it is (the offset within its plane,
// starting at the window's first element as torch does).
struct Pooled {
  std::vector<float> values;
  std::vector<int32_t> argmax;
};

Pooled TorchRule(const std::vector<float>& in, int64_t planes, int64_t h, int64_t w, int64_t pool) {
  const int64_t oh = h / pool, ow = w / pool;
  Pooled out;
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t y = 0; y < oh; ++y) {
      for (int64_t x = 0; x < ow; ++x) {
        float best = -std::numeric_limits<float>::infinity();
        int64_t index = y * pool * w + x * pool;
        for (int64_t i = y * pool; i < (y + 1) * pool; ++i) {
          for (int64_t j = x * pool; j < (x + 1) * pool; ++j) {
            const float v = in[static_cast<size_t>((p * h + i) * w + j)];
            if (v > best || std::isnan(v)) {
              best = v;
              index = i * w + j;
            }
          }
        }
        out.values.push_back(best);
        out.argmax.push_back(static_cast<int32_t>(index));
      }
    }
  }
  return out;
}

void ExpectSameBits(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(std::memcmp(&got[i], &want[i], sizeof(float)), 0)
        << "value " << i << ": " << got[i] << " against " << want[i];
  }
}

// Mostly ordinary values, with NaN, ±inf and ±0 sprinkled in, and runs of
// equal values (ReLU outputs are often 0).
std::vector<float> Values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> value(-2.0f, 2.0f);
  std::uniform_int_distribution<int> pick(0, 19);
  const float specials[] = {std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(), 0.0f, -0.0f};
  std::vector<float> v(n);
  for (float& x : v) {
    const int k = pick(rng);
    x = k < 5 ? specials[k] : k < 10 ? 0.0f : value(rng);
  }
  return v;
}

TEST(MaxPoolPlanes, GivesTorchsValuesBitForBit) {
  struct Case {
    int64_t planes, h, w, pool;
  };
  for (const Case c : {Case{3, 28, 28, 2}, Case{2, 6, 40, 2}, Case{1, 4, 32, 2}, Case{1, 3, 17, 2},
                       Case{5, 7, 9, 2}, Case{2, 9, 11, 3}, Case{4, 8, 8, 4}, Case{2, 5, 5, 1},
                       Case{1, 3, 2, 2}, Case{2, 4, 65, 2}, Case{1, 2, 63, 2},
                       Case{16, 14, 14, 2}}) {
    SCOPED_TRACE(::testing::Message()
                 << c.planes << "×" << c.h << "×" << c.w << " pool " << c.pool);
    const std::vector<float> in =
        Values(static_cast<size_t>(c.planes * c.h * c.w), static_cast<uint32_t>(c.h * 31 + c.pool));
    const Pooled want = TorchRule(in, c.planes, c.h, c.w, c.pool);
    std::vector<float> got(want.values.size(), 123.0f);
    MaxPoolPlanes(in.data(), c.planes, c.h, c.w, c.pool, got.data());
    ExpectSameBits(got, want.values);
    EXPECT_FALSE(MaxPoolPlanesWith("no such variant", in.data(), c.planes, c.h, c.w, c.pool,
                                   got.data()));
    // Every variant this machine runs, not only the one it chose.
    for (const char* variant : MaxPoolVariants()) {
      SCOPED_TRACE(variant);
      std::vector<float> v(want.values.size(), 123.0f);
      ASSERT_TRUE(MaxPoolPlanesWith(variant, in.data(), c.planes, c.h, c.w, c.pool, v.data()));
      ExpectSameBits(v, want.values);
      std::vector<float> w(want.values.size(), 123.0f);
      std::vector<int32_t> a(want.values.size(), -1);
      ASSERT_TRUE(
          MaxPoolPlanesWith(variant, in.data(), c.planes, c.h, c.w, c.pool, w.data(), a.data()));
      ExpectSameBits(w, want.values);
      EXPECT_EQ(a, want.argmax);
    }

    std::vector<float> trained(want.values.size(), 123.0f);
    std::vector<int32_t> argmax(want.values.size(), -1);
    MaxPoolPlanesWithArgmax(in.data(), c.planes, c.h, c.w, c.pool, trained.data(), argmax.data());
    ExpectSameBits(trained, want.values);
    EXPECT_EQ(argmax, want.argmax);

    // Backward: each output's gradient lands on its maximum (added to the
    // zeros there), every other input gets zero.
    std::vector<float> grad_out(want.values.size());
    for (size_t k = 0; k < grad_out.size(); ++k) grad_out[k] = 0.5f + static_cast<float>(k);
    grad_out[0] = -0.0f;  // 0 + (−0) = +0, as torch accumulates
    std::vector<float> grad_in(in.size(), 0.0f);
    MaxPoolBackwardPlanes(grad_out.data(), argmax.data(), c.planes, c.h, c.w, c.pool,
                          grad_in.data());
    std::vector<float> expected(in.size(), 0.0f);
    const size_t outputs = want.values.size() / static_cast<size_t>(c.planes);
    for (size_t k = 0; k < grad_out.size(); ++k) {
      const size_t plane = k / outputs;
      expected[plane * static_cast<size_t>(c.h * c.w) + static_cast<size_t>(want.argmax[k])] +=
          grad_out[k];
    }
    ExpectSameBits(grad_in, expected);
    EXPECT_FALSE(std::signbit(grad_in[static_cast<size_t>(want.argmax[0])]));
  }
}

TEST(MaxPoolPlanes, ANanAnywhereInAWindowGivesNan) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (int at = 0; at < 4; ++at) {
    float window[4] = {1.0f, 5.0f, -3.0f, 2.0f};
    window[at] = nan;
    float out = 0.0f;
    MaxPoolPlanes(window, 1, 2, 2, 2, &out);
    EXPECT_TRUE(std::isnan(out)) << "NaN at " << at << " gave " << out;
  }
  const float plain[4] = {1.0f, 5.0f, -3.0f, 2.0f};
  float out = 0.0f;
  MaxPoolPlanes(plain, 1, 2, 2, 2, &out);
  EXPECT_EQ(out, 5.0f);
}

}  // namespace
}  // namespace citadel::ml::internal
