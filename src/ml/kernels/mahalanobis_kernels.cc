// The detector's kernels (mahalanobis_kernels.h). This file is compiled
// without multiply-add fusion (CMakeLists.txt): that, and never reordering
// a sum, is what makes the variants agree bit for bit.
#include "ml/kernels/mahalanobis_kernels.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include "ml/kernels/cpu_variants.h"

// The covariance and distance kernels get an AVX2 build beside the
// baseline one, chosen at load time; the solve has its own variants
// (SolveLower below).
#if CITADEL_X86_VARIANTS
#define CITADEL_OOD_KERNEL __attribute__((target_clones("avx2", "default")))
#else
#define CITADEL_OOD_KERNEL
#endif
#define CITADEL_INLINE __attribute__((always_inline)) inline

namespace citadel::ml::internal {
namespace {

// Lanes of doubles: loads and stores go through memcpy (no alignment
// assumed). GCC warns that passing one without the matching instruction
// set has another ABI: these helpers are always inlined, so no ABI is
// crossed.
typedef double V2 __attribute__((vector_size(16)));
typedef double V4 __attribute__((vector_size(32)));
typedef double V8 __attribute__((vector_size(64)));
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

template <typename V>
CITADEL_INLINE V Load(const double* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename V>
CITADEL_INLINE void Store(double* p, const V& v) {
  std::memcpy(p, &v, sizeof v);
}
CITADEL_INLINE V4 Splat4(double s) { return V4{s, s, s, s}; }

// ---- The solve ----------------------------------------------------------
//
// Left-looking and blocked: a tile is S panels (16·S elements) of R rows,
// whose values stay in registers while every earlier column is subtracted
// (the panels' columns j < i0, read once for the R rows), then each panel's
// own triangle is solved element by element and its values subtracted from
// the tile's later panels. Each element still receives its terms in column
// order, then its division: the plain loop's bits. A tile keeps 16·S·R
// sums in registers (2·S·R registers of 8 doubles with AVX-512, 4·S·R of 4
// with AVX2): enough independent chains to hide the subtractions' latency,
// few enough not to spill. S and R per variant and row count were measured
// (below).
template <typename V, int S, int R>
CITADEL_INLINE void SolveTile(const double* panels, int64_t block, int64_t stride, double* zs) {
  constexpr int kLanes = sizeof(V) / sizeof(double);
  constexpr int kVectors = kFactorPanel / kLanes;
  const int64_t i0 = block * kFactorPanel;
  const double* panel[S];
  V acc[S][R][kVectors];
#pragma GCC unroll 8
  for (int s = 0; s < S; ++s) {
    panel[s] = panels + PackedFactor::Offset(block + s);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
      for (int n = 0; n < kVectors; ++n) {
        acc[s][r][n] = Load<V>(zs + r * stride + i0 + kFactorPanel * s + kLanes * n);
      }
    }
  }
  // Every column left of the tile, in order.
  for (int64_t j = 0; j < i0; ++j) {
#pragma GCC unroll 8
    for (int s = 0; s < S; ++s) {
      const double* column = panel[s] + j * kFactorPanel;
      if constexpr (R == 1) {
        const double m = zs[j];
#pragma GCC unroll 8
        for (int n = 0; n < kVectors; ++n) acc[s][0][n] -= Load<V>(column + kLanes * n) * m;
      } else {
        V c[kVectors];
#pragma GCC unroll 8
        for (int n = 0; n < kVectors; ++n) c[n] = Load<V>(column + kLanes * n);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
          const double m = zs[r * stride + j];
#pragma GCC unroll 8
          for (int n = 0; n < kVectors; ++n) acc[s][r][n] -= c[n] * m;
        }
      }
    }
  }
  // Each panel's triangle, then its values into the tile's later panels.
#pragma GCC unroll 8
  for (int s = 0; s < S; ++s) {
    const int64_t is = i0 + kFactorPanel * s;
    V solved[R][kVectors];
#pragma GCC unroll 16
    for (int k = 0; k < kFactorPanel; ++k) {
      const double* column = panel[s] + (is + k) * kFactorPanel;
      const int n0 = k / kLanes;  // the vectors before it hold solved elements only
      V c[kVectors];
#pragma GCC unroll 8
      for (int n = n0; n < kVectors; ++n) c[n] = Load<V>(column + kLanes * n);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const double value = acc[s][r][n0][k % kLanes] / column[k];
        solved[r][n0][k % kLanes] = value;
        // Also lowers element k itself (and nothing before it: the column
        // is zero there); `solved` holds what is kept.
#pragma GCC unroll 8
        for (int n = n0; n < kVectors; ++n) acc[s][r][n] -= c[n] * value;
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
      for (int n = 0; n < kVectors; ++n) {
        Store<V>(zs + r * stride + is + kLanes * n, solved[r][n]);
      }
    }
#pragma GCC unroll 8
    for (int t = s + 1; t < S; ++t) {
      for (int64_t j = is; j < is + kFactorPanel; ++j) {
        const double* column = panel[t] + j * kFactorPanel;
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
          const double m = zs[r * stride + j];
#pragma GCC unroll 8
          for (int n = 0; n < kVectors; ++n) acc[t][r][n] -= Load<V>(column + kLanes * n) * m;
        }
      }
    }
  }
}

// R rows through every panel: tiles of S panels, then single panels.
template <typename V, int S, int R>
CITADEL_INLINE void SolveRows(const double* panels, int64_t blocks, int64_t stride, double* zs) {
  int64_t b = 0;
  for (; b + S <= blocks; b += S) SolveTile<V, S, R>(panels, b, stride, zs);
  for (; b < blocks; ++b) SolveTile<V, 1, R>(panels, b, stride, zs);
}

using SolveFn = void (*)(const double* panels, int64_t blocks, int64_t stride, double* zs,
                         int64_t count);

// Tile shapes measured on a 2-core AMD EPYC (Zen 5) VM at 784 features
// (docs/benchmarks.md, thirteenth session): one or two rows are bound by
// reading the factor (2.5 MB, from L3), so a row takes several panels at
// once to keep enough sums in flight; from four rows on, the arithmetic.
#if CITADEL_X86_VARIANTS
__attribute__((target("avx512f"))) void SolveAvx512(const double* panels, int64_t blocks,
                                                    int64_t stride, double* zs, int64_t count) {
  int64_t r = 0;
  for (; r + 8 <= count; r += 8) SolveRows<V8, 1, 8>(panels, blocks, stride, zs + r * stride);
  for (; r + 4 <= count; r += 4) SolveRows<V8, 1, 4>(panels, blocks, stride, zs + r * stride);
  for (; r + 3 <= count; r += 3) SolveRows<V8, 2, 3>(panels, blocks, stride, zs + r * stride);
  for (; r + 2 <= count; r += 2) SolveRows<V8, 2, 2>(panels, blocks, stride, zs + r * stride);
  for (; r < count; ++r) SolveRows<V8, 4, 1>(panels, blocks, stride, zs + r * stride);
}

__attribute__((target("avx2"))) void SolveAvx2(const double* panels, int64_t blocks, int64_t stride,
                                               double* zs, int64_t count) {
  int64_t r = 0;
  for (; r + 3 <= count; r += 3) SolveRows<V4, 1, 3>(panels, blocks, stride, zs + r * stride);
  for (; r + 2 <= count; r += 2) SolveRows<V4, 1, 2>(panels, blocks, stride, zs + r * stride);
  for (; r < count; ++r) SolveRows<V4, 4, 1>(panels, blocks, stride, zs + r * stride);
}
#endif

// Two doubles at a time: SSE2 on x86-64, NEON elsewhere.
void SolveBaseline(const double* panels, int64_t blocks, int64_t stride, double* zs,
                   int64_t count) {
  for (int64_t r = 0; r < count; ++r) {
    SolveRows<V2, 1, 1>(panels, blocks, stride, zs + r * stride);
  }
}

// Fastest first.
constexpr KernelVariant<SolveFn> kSolveVariants[] = {
#if CITADEL_X86_VARIANTS
    {"avx512", SolveAvx512, RunsAvx512},
    {"avx2", SolveAvx2, RunsAvx2},
#endif
    {"baseline", SolveBaseline, RunsAlways},
};

void Solve(SolveFn fn, const PackedFactor& factor, double* zs, int64_t count) {
  const int64_t stride = PaddedDims(factor.dims());
  fn(factor.data(), stride / kFactorPanel, stride, zs, count);
}

// ---- Covariance and distances -------------------------------------------

// cov[i][j] += Σ_b block[b][i]·block[b][j] for j <= i, on rows of
// `stride` doubles (a multiple of 4, zero-padded), in tiles of 4×4 whose
// accumulators stay in registers over the block's rows. Each element still
// receives its terms one at a time in row order: the result is the plain
// loop's, bit for bit, whichever instruction set runs it. Diagonal tiles
// write a few entries above the diagonal, which are ignored.
CITADEL_OOD_KERNEL void AccumulateLowerKernel(const double* block, int64_t nb, int64_t stride,
                                              double* cov) {
  for (int64_t i0 = 0; i0 < stride; i0 += 4) {
    for (int64_t j0 = 0; j0 <= i0; j0 += 4) {
      double* c = cov + i0 * stride + j0;
      V4 acc0 = Load<V4>(c), acc1 = Load<V4>(c + stride), acc2 = Load<V4>(c + 2 * stride),
         acc3 = Load<V4>(c + 3 * stride);
      for (int64_t b = 0; b < nb; ++b) {
        const double* x = block + b * stride;
        const V4 v = Load<V4>(x + j0);
        acc0 += Splat4(x[i0]) * v;
        acc1 += Splat4(x[i0 + 1]) * v;
        acc2 += Splat4(x[i0 + 2]) * v;
        acc3 += Splat4(x[i0 + 3]) * v;
      }
      Store<V4>(c, acc0);
      Store<V4>(c + stride, acc1);
      Store<V4>(c + 2 * stride, acc2);
      Store<V4>(c + 3 * stride, acc3);
    }
  }
}

// sums[c] = Σ_i (z[i] − means[i·width + c])² for c < width (a multiple of
// 4: the class means interleaved, feature by feature), four classes per
// vector and up to sixteen per pass over z. Each class's sum takes its
// terms in feature order, as a plain loop over one class would.
CITADEL_OOD_KERNEL void SquaredDistancesKernel(const double* z, int64_t dims, const double* means,
                                               int64_t width, double* sums) {
  for (int64_t c0 = 0; c0 < width; c0 += 16) {
    const int64_t groups = std::min<int64_t>(4, (width - c0) / 4);
    V4 acc[4] = {};
    for (int64_t i = 0; i < dims; ++i) {
      const V4 zi = Splat4(z[i]);
      const double* m = means + i * width + c0;
      for (int64_t g = 0; g < groups; ++g) {
        const V4 diff = zi - Load<V4>(m + 4 * g);
        acc[g] += diff * diff;
      }
    }
    for (int64_t g = 0; g < groups; ++g) Store<V4>(sums + c0 + 4 * g, acc[g]);
  }
}

}  // namespace

Status FactorCholesky(double* a, int64_t dims, int64_t stride) {
  for (int64_t i = 0; i < dims; ++i) {
    double* li = a + i * stride;
    for (int64_t j = 0; j <= i; ++j) {
      const double* lj = a + j * stride;
      double sum = li[j];
      for (int64_t k = 0; k < j; ++k) sum -= li[k] * lj[k];
      if (j == i) {
        if (!(sum > 0.0) || !std::isfinite(sum)) {
          return InternalError(fmt::format(
              "the covariance plus ridge is not positive definite at feature {} (pivot {})", i,
              sum));
        }
        li[i] = std::sqrt(sum);
      } else {
        li[j] = sum / lj[j];
      }
    }
    for (int64_t j = i + 1; j < stride; ++j) li[j] = 0.0;
  }
  return Status::Ok();
}

PackedFactor::PackedFactor(const double* lower, int64_t dims, int64_t lower_stride) : dims_(dims) {
  const int64_t blocks = PaddedDims(dims) / kFactorPanel;
  values_.assign(static_cast<size_t>(Offset(blocks)), 0.0);
  for (int64_t b = 0; b < blocks; ++b) {
    double* panel = values_.data() + Offset(b);
    for (int64_t k = 0; k < kFactorPanel; ++k) {
      const int64_t i = b * kFactorPanel + k;
      if (i >= dims) {
        panel[i * kFactorPanel + k] = 1.0;  // a padded row: the identity's
        continue;
      }
      for (int64_t j = 0; j <= i; ++j) panel[j * kFactorPanel + k] = lower[i * lower_stride + j];
    }
  }
}

void SolveLower(const PackedFactor& factor, double* zs, int64_t count) {
  static const SolveFn fn = FastestVariant(kSolveVariants).fns;
  Solve(fn, factor, zs, count);
}

std::vector<const char*> SolveLowerVariants() { return RunnableVariants(kSolveVariants); }

bool SolveLowerWith(const char* variant, const PackedFactor& factor, double* zs, int64_t count) {
  const KernelVariant<SolveFn>* v = RunnableVariant(kSolveVariants, variant);
  if (v == nullptr) return false;
  Solve(v->fns, factor, zs, count);
  return true;
}

void AccumulateLower(const double* block, int64_t nb, int64_t stride, double* cov) {
  AccumulateLowerKernel(block, nb, stride, cov);
}

void SquaredDistances(const double* z, int64_t dims, const double* means, int64_t width,
                      double* sums) {
  SquaredDistancesKernel(z, dims, means, width, sums);
}

}  // namespace citadel::ml::internal
