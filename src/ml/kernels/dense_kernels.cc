// Compiled with -ffp-contract=off (CMakeLists.txt): a fused multiply-add
// rounds once where a multiply and an add round twice, so letting the
// compiler fuse where the CPU allows would make results machine-dependent.
#include "ml/kernels/dense_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace citadel::ml::internal {
namespace {

// Eight float lanes: one AVX register, or two SSE registers on the baseline
// target. Lane l of a dot product accumulates the terms i ≡ l (mod 8).
typedef float Lanes __attribute__((vector_size(32)));

constexpr int64_t kLanes = 8;

[[gnu::always_inline]] inline Lanes Load(const float* p) {
  Lanes v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The fixed order in which a dot product's lanes and tail are combined.
[[gnu::always_inline]] inline float Finish(Lanes acc, const float* w, const float* x, int64_t from,
                                           int64_t n, float bias) {
  float s = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
  for (int64_t i = from; i < n; ++i) s += w[i] * x[i];
  return s + bias;
}

[[gnu::always_inline]] inline float Activate(float v, bool relu) {
  return relu && v < 0.0f ? 0.0f : v;
}

// R rows × O outputs at once: every weight chunk loaded once serves R rows,
// every input chunk O outputs, and the R·O sums are independent chains the
// CPU overlaps. Each sum sees exactly the operations of the 1 × 1 case.
template <int R, int O>
[[gnu::always_inline]] inline void Tile(const float* x, int64_t in, const float* w,
                                        const float* bias, int64_t out, bool relu, float* y) {
  Lanes acc[R][O] = {};
  const int64_t whole = in - in % kLanes;
  for (int64_t i = 0; i < whole; i += kLanes) {
    Lanes wv[O];
    for (int o = 0; o < O; ++o) wv[o] = Load(w + o * in + i);
    for (int r = 0; r < R; ++r) {
      const Lanes xv = Load(x + r * in + i);
      for (int o = 0; o < O; ++o) acc[r][o] += wv[o] * xv;
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int o = 0; o < O; ++o) {
      y[r * out + o] =
          Activate(Finish(acc[r][o], w + o * in, x + r * in, whole, in, bias[o]), relu);
    }
  }
}

template <int R>
[[gnu::always_inline]] inline void RowTile(const float* x, int64_t in, const float* w,
                                           const float* bias, int64_t out, bool relu, float* y) {
  constexpr int O = R == 1 ? 4 : 2;
  int64_t o = 0;
  for (; o + O <= out; o += O) Tile<R, O>(x, in, w + o * in, bias + o, out, relu, y + o);
  for (; o < out; ++o) Tile<R, 1>(x, in, w + o * in, bias + o, out, relu, y + o);
}

}  // namespace

// On x86-64, two variants chosen once at load time by the CPU (ifunc): the
// same lane arithmetic in 256-bit registers, or in pairs of 128-bit ones.
#if defined(__x86_64__)
#define CITADEL_LANE_VARIANTS __attribute__((target_clones("avx2", "default")))
#else
#define CITADEL_LANE_VARIANTS
#endif
CITADEL_LANE_VARIANTS void AffineRows(const float* x, int64_t rows, int64_t in, const float* w,
                                      const float* bias, int64_t out, bool relu, float* y) {
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) RowTile<4>(x + r * in, in, w, bias, out, relu, y + r * out);
  for (; r < rows; ++r) RowTile<1>(x + r * in, in, w, bias, out, relu, y + r * out);
}

void SoftmaxRows(float* z, int64_t rows, int64_t width) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = z + r * width;
    const float top = *std::max_element(row, row + width);
    float sum = 0;
    for (int64_t k = 0; k < width; ++k) {
      // In double, rounded once to float: the C library picks its exp by
      // CPU (with or without FMA), and a float exp could differ in its last
      // bit between machines; a double one practically never changes the
      // float it rounds to.
      row[k] = static_cast<float>(std::exp(static_cast<double>(row[k] - top)));
      sum += row[k];
    }
    for (int64_t k = 0; k < width; ++k) row[k] /= sum;
  }
}

}  // namespace citadel::ml::internal
