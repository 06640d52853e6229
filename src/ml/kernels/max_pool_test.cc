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

std::vector<float> TorchRule(const std::vector<float>& in, int64_t planes, int64_t h, int64_t w,
                             int64_t pool) {
  const int64_t oh = h / pool, ow = w / pool;
  std::vector<float> out;
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t y = 0; y < oh; ++y) {
      for (int64_t x = 0; x < ow; ++x) {
        float best = -std::numeric_limits<float>::infinity();
        for (int64_t i = y * pool; i < (y + 1) * pool; ++i) {
          for (int64_t j = x * pool; j < (x + 1) * pool; ++j) {
            const float v = in[static_cast<size_t>((p * h + i) * w + j)];
            if (v > best || std::isnan(v)) best = v;
          }
        }
        out.push_back(best);
      }
    }
  }
  return out;
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
  for (const Case c : {Case{3, 28, 28, 2}, Case{5, 7, 9, 2}, Case{2, 9, 11, 3}, Case{4, 8, 8, 4},
                       Case{2, 5, 5, 1}, Case{1, 3, 2, 2}}) {
    SCOPED_TRACE(::testing::Message()
                 << c.planes << "×" << c.h << "×" << c.w << " pool " << c.pool);
    const std::vector<float> in =
        Values(static_cast<size_t>(c.planes * c.h * c.w), static_cast<uint32_t>(c.h * 31 + c.pool));
    const std::vector<float> want = TorchRule(in, c.planes, c.h, c.w, c.pool);
    std::vector<float> got(want.size(), 123.0f);
    MaxPoolPlanes(in.data(), c.planes, c.h, c.w, c.pool, got.data());
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(std::memcmp(&got[i], &want[i], sizeof(float)), 0)
          << "output " << i << ": " << got[i] << " against " << want[i];
    }
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
