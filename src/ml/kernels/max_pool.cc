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

// MaxPool2 that also records where each maximum was, as offsets within the
// plane, in the same order of comparisons.
void MaxPool2WithArgmax(const float* in, int64_t planes, int64_t height, int64_t width, float* out,
                        int32_t* argmax) {
  const int64_t oh = height / 2, ow = width / 2;
  for (int64_t p = 0; p < planes; ++p) {
    const float* plane = in + p * height * width;
    float* o = out + p * oh * ow;
    int32_t* a = argmax + p * oh * ow;
    for (int64_t y = 0; y < oh; ++y) {
      const float* top = plane + 2 * y * width;
      const float* bottom = top + width;
      const auto row = static_cast<int32_t>(2 * y * width);
      const auto w = static_cast<int32_t>(width);
      for (int64_t x = 0; x < ow; ++x) {
        const auto at = static_cast<int32_t>(row + 2 * x);
        float m = top[2 * x];
        int32_t best = at;
        const float candidates[3] = {top[2 * x + 1], bottom[2 * x], bottom[2 * x + 1]};
        const int32_t offsets[3] = {at + 1, at + w, at + w + 1};
        for (int k = 0; k < 3; ++k) {
          const bool take = candidates[k] > m || candidates[k] != candidates[k];
          m = take ? candidates[k] : m;
          best = take ? offsets[k] : best;
        }
        o[y * ow + x] = m;
        a[y * ow + x] = best;
      }
    }
  }
}

}  // namespace

void MaxPoolPlanesWithArgmax(const float* in, int64_t planes, int64_t height, int64_t width,
                             int64_t pool, float* out, int32_t* argmax) {
  if (pool == 2) return MaxPool2WithArgmax(in, planes, height, width, out, argmax);
  const int64_t oh = height / pool, ow = width / pool;
  for (int64_t p = 0; p < planes; ++p) {
    const float* plane = in + p * height * width;
    float* o = out + p * oh * ow;
    int32_t* a = argmax + p * oh * ow;
    for (int64_t y = 0; y < oh; ++y) {
      for (int64_t x = 0; x < ow; ++x) {
        int64_t best = y * pool * width + x * pool;
        float m = plane[best];
        for (int64_t i = y * pool; i < (y + 1) * pool; ++i) {
          for (int64_t j = x * pool; j < (x + 1) * pool; ++j) {
            const float v = plane[i * width + j];
            if (v > m || v != v) {
              m = v;
              best = i * width + j;
            }
          }
        }
        o[y * ow + x] = m;
        a[y * ow + x] = static_cast<int32_t>(best);
      }
    }
  }
}

void MaxPoolBackwardPlanes(const float* grad_out, const int32_t* argmax, int64_t planes,
                           int64_t height, int64_t width, int64_t pool, float* grad_in) {
  const int64_t outputs = (height / pool) * (width / pool);
  for (int64_t p = 0; p < planes; ++p) {
    float* g = grad_in + p * height * width;
    const float* go = grad_out + p * outputs;
    const int32_t* a = argmax + p * outputs;
    // Added, not stored, as torch does: 0 + (−0) is +0.
    for (int64_t k = 0; k < outputs; ++k) g[a[k]] += go[k];
  }
}

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
