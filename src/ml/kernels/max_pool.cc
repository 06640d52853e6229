#include "ml/kernels/max_pool.h"

namespace citadel::ml::internal {
namespace {

// torch's rule, in torch's order (window rows top to bottom, each left to
// right): a value replaces the maximum when it is larger or NaN. Starting
// from the window's first value instead of −inf gives the same result for
// every input, ±0 and −inf included.
inline float Larger(float m, float v) { return (v > m || v != v) ? v : m; }

// pool = 2, the common case, written so that the compiler can vectorise it:
// each output is the maximum of a 2×2 block, taken in torch's order.
void MaxPool2(const float* in, int64_t planes, int64_t height, int64_t width, float* out) {
  const int64_t oh = height / 2, ow = width / 2;
  for (int64_t p = 0; p < planes; ++p) {
    const float* plane = in + p * height * width;
    float* o = out + p * oh * ow;
    for (int64_t y = 0; y < oh; ++y) {
      const float* top = plane + 2 * y * width;
      const float* bottom = top + width;
      float* row = o + y * ow;
      for (int64_t x = 0; x < ow; ++x) {
        float m = top[2 * x];
        m = Larger(m, top[2 * x + 1]);
        m = Larger(m, bottom[2 * x]);
        row[x] = Larger(m, bottom[2 * x + 1]);
      }
    }
  }
}

}  // namespace

void MaxPoolPlanes(const float* in, int64_t planes, int64_t height, int64_t width, int64_t pool,
                   float* out) {
  if (pool == 2) return MaxPool2(in, planes, height, width, out);
  const int64_t oh = height / pool, ow = width / pool;
  for (int64_t p = 0; p < planes; ++p) {
    const float* plane = in + p * height * width;
    float* o = out + p * oh * ow;
    for (int64_t y = 0; y < oh; ++y) {
      for (int64_t x = 0; x < ow; ++x) {
        const float* window = plane + y * pool * width + x * pool;
        float m = window[0];
        for (int64_t i = 0; i < pool; ++i) {
          for (int64_t j = 0; j < pool; ++j) m = Larger(m, window[i * width + j]);
        }
        o[y * ow + x] = m;
      }
    }
  }
}

}  // namespace citadel::ml::internal
