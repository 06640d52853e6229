#include "ml/kernels/max_pool.h"

#include "ml/kernels/cpu_variants.h"

#if CITADEL_X86_VARIANTS
#include <immintrin.h>
#endif

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

#if CITADEL_X86_VARIANTS
// MaxPool2 sixteen outputs at a time: the even and odd columns of two rows
// pulled apart by permutes, then the same four comparisons in the same
// order, as masks (and, for training, the offsets of the window's four
// elements moved with the same masks). A row's last outputs (all of them,
// for the 14 and 7 of a 28×28 image's two pools) go through masked loads
// and stores, which never touch the elements they leave out. 2.1–2.5× the
// SSE2 loop the compiler makes of MaxPool2, 2.7–3.2× with the argmax
// (BM_MaxPool2, docs/benchmarks.md, fourteenth session).

// Lanes where `v` replaces the maximum `m`: larger, or NaN.
__attribute__((target("avx512f"))) inline __mmask16 Takes(__m512 m, __m512 v) {
  return _mm512_cmp_ps_mask(v, m, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
}

// Up to sixteen outputs (the lanes in `keep`) from 32 inputs of the top row
// (t0, t1) and 32 of the bottom one (b0, b1); `at` is the first input's
// offset in its plane.
template <bool kArgmax>
__attribute__((target("avx512f"), always_inline)) inline void Pool16(
    __m512 t0, __m512 t1, __m512 b0, __m512 b1, int32_t at, int32_t width, __mmask16 keep,
    float* out, int32_t* argmax) {
  const __m512i evens =
      _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odds =
      _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  const __m512 candidates[3] = {_mm512_permutex2var_ps(t0, odds, t1),
                                _mm512_permutex2var_ps(b0, evens, b1),
                                _mm512_permutex2var_ps(b0, odds, b1)};
  const int32_t steps[3] = {1, width, width + 1};
  __m512 m = _mm512_permutex2var_ps(t0, evens, t1);
  const __m512i first = _mm512_add_epi32(_mm512_set1_epi32(at), evens);
  __m512i best = first;
  for (int k = 0; k < 3; ++k) {
    const __mmask16 take = Takes(m, candidates[k]);
    m = _mm512_mask_blend_ps(take, m, candidates[k]);
    if constexpr (kArgmax) {
      best = _mm512_mask_mov_epi32(best, take,
                                   _mm512_add_epi32(first, _mm512_set1_epi32(steps[k])));
    }
  }
  _mm512_mask_storeu_ps(out, keep, m);
  if constexpr (kArgmax) _mm512_mask_storeu_epi32(argmax, keep, best);
}

template <bool kArgmax>
__attribute__((target("avx512f"))) void Pool2Avx512(const float* in, int64_t planes,
                                                     int64_t height, int64_t width, float* out,
                                                     int32_t* argmax) {
  const int64_t oh = height / 2, ow = width / 2;
  // The tail: n < 16 outputs from 2n inputs.
  const int64_t tail = ow % 16;
  const auto low = static_cast<__mmask16>(tail >= 8 ? 0xffff : (1u << (2 * tail)) - 1);
  const auto high = static_cast<__mmask16>(tail > 8 ? (1u << (2 * tail - 16)) - 1 : 0);
  const auto stored = static_cast<__mmask16>((1u << tail) - 1);
  const auto w = static_cast<int32_t>(width);
  for (int64_t p = 0; p < planes; ++p) {
    const float* plane = in + p * height * width;
    for (int64_t y = 0; y < oh; ++y) {
      const float* top = plane + 2 * y * width;
      const float* bottom = top + width;
      const int64_t first = (p * oh + y) * ow;  // the row's first output
      int32_t* a = kArgmax ? argmax + first : nullptr;
      const auto row = static_cast<int32_t>(2 * y * width);
      int64_t x = 0;
      for (; x + 16 <= ow; x += 16) {
        const float* t = top + 2 * x;
        const float* b = bottom + 2 * x;
        Pool16<kArgmax>(_mm512_loadu_ps(t), _mm512_loadu_ps(t + 16), _mm512_loadu_ps(b),
                        _mm512_loadu_ps(b + 16), row + static_cast<int32_t>(2 * x), w, 0xffff,
                        out + first + x, kArgmax ? a + x : nullptr);
      }
      if (tail > 0) {
        const float* t = top + 2 * x;
        const float* b = bottom + 2 * x;
        Pool16<kArgmax>(_mm512_maskz_loadu_ps(low, t), _mm512_maskz_loadu_ps(high, t + 16),
                        _mm512_maskz_loadu_ps(low, b), _mm512_maskz_loadu_ps(high, b + 16),
                        row + static_cast<int32_t>(2 * x), w, stored, out + first + x,
                        kArgmax ? a + x : nullptr);
      }
    }
  }
}

void MaxPool2Avx512(const float* in, int64_t planes, int64_t height, int64_t width, float* out) {
  Pool2Avx512<false>(in, planes, height, width, out, nullptr);
}

void MaxPool2WithArgmaxAvx512(const float* in, int64_t planes, int64_t height, int64_t width,
                              float* out, int32_t* argmax) {
  Pool2Avx512<true>(in, planes, height, width, out, argmax);
}

#endif

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

// A 2×2 pool's two entry points: forward only, and with the argmax.
struct Pool2Fns {
  void (*forward)(const float* in, int64_t planes, int64_t height, int64_t width, float* out);
  void (*with_argmax)(const float* in, int64_t planes, int64_t height, int64_t width, float* out,
                      int32_t* argmax);
};
// Fastest first.
constexpr KernelVariant<Pool2Fns> kPool2Variants[] = {
#if CITADEL_X86_VARIANTS
    {"avx512", {MaxPool2Avx512, MaxPool2WithArgmaxAvx512}, RunsAvx512},
#endif
    {"baseline", {MaxPool2, MaxPool2WithArgmax}, RunsAlways},
};

const Pool2Fns& ChosenPool2() {
  static const Pool2Fns& chosen = FastestVariant(kPool2Variants).fns;
  return chosen;
}

}  // namespace

void MaxPoolPlanesWithArgmax(const float* in, int64_t planes, int64_t height, int64_t width,
                             int64_t pool, float* out, int32_t* argmax) {
  if (pool == 2) return ChosenPool2().with_argmax(in, planes, height, width, out, argmax);
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

std::vector<const char*> MaxPoolVariants() { return RunnableVariants(kPool2Variants); }

bool MaxPoolPlanesWith(const char* variant, const float* in, int64_t planes, int64_t height,
                       int64_t width, int64_t pool, float* out, int32_t* argmax) {
  const KernelVariant<Pool2Fns>* v = RunnableVariant(kPool2Variants, variant);
  if (v == nullptr) return false;
  if (pool != 2) {  // one loop for every other pool
    if (argmax != nullptr) {
      MaxPoolPlanesWithArgmax(in, planes, height, width, pool, out, argmax);
    } else {
      MaxPoolPlanes(in, planes, height, width, pool, out);
    }
  } else if (argmax != nullptr) {
    v->fns.with_argmax(in, planes, height, width, out, argmax);
  } else {
    v->fns.forward(in, planes, height, width, out);
  }
  return true;
}

void MaxPoolPlanes(const float* in, int64_t planes, int64_t height, int64_t width, int64_t pool,
                   float* out) {
  if (pool == 2) return ChosenPool2().forward(in, planes, height, width, out);
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
