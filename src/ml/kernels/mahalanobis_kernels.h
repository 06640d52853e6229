// The O(dims²) arithmetic of the Mahalanobis detector (ood_detector.h):
// accumulating a covariance, factoring it, whitening rows with the factor
// and measuring whitened distances to class means.
//
// Machine-independent bits: every value receives its terms one at a time in
// one fixed order (the order a plain loop would use), the file is compiled
// without multiply-add fusion, and the instruction-set variants (AVX-512,
// AVX2, baseline) only differ in how many values they carry at once. The
// same inputs give the same bits on every x86-64, whichever variant runs,
// and however many rows are whitened together.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"

namespace citadel::ml::internal {

// Rows of L per column panel (PackedFactor).
inline constexpr int64_t kFactorPanel = 16;

// `dims` rounded up to kFactorPanel: the width of a row the kernels work on
// (zero-padded past dims).
inline int64_t PaddedDims(int64_t dims) {
  return (dims + kFactorPanel - 1) / kFactorPanel * kFactorPanel;
}

// A lower triangular factor L (dims × dims) packed for SolveLower. Rows i0…
// i0+15 of L form one panel, stored column by column up to the panel's
// diagonal: entry (i, j), j <= i, at Offset(i / 16) + j·16 + i % 16. What a
// row of the panel has right of the diagonal is zero, and a padded row
// (i >= dims) is the identity's, so its whitened value stays zero. Column
// panels because whitening a tile of rows reads each panel once, top to
// bottom, and a panel's columns are contiguous there; about dims²/2 doubles
// (2.5 MB at 784 features) plus the padding to a multiple of 16 rows.
class PackedFactor {
 public:
  PackedFactor() = default;
  // From L's lower triangle: `dims` rows of `lower_stride` doubles.
  PackedFactor(const double* lower, int64_t dims, int64_t lower_stride);

  int64_t dims() const { return dims_; }
  // L(i, j) for i, j < dims; 0 above the diagonal.
  double at(int64_t i, int64_t j) const {
    return j > i ? 0.0
                 : values_[static_cast<size_t>(Offset(i / kFactorPanel) + j * kFactorPanel +
                                               i % kFactorPanel)];
  }
  const double* data() const { return values_.data(); }

  // Where panel `block` starts: each panel c before it holds 16·(16·c + 16)
  // doubles.
  static int64_t Offset(int64_t block) {
    return kFactorPanel * kFactorPanel * block * (block + 1) / 2;
  }

 private:
  int64_t dims_ = 0;
  std::vector<double> values_;
};

// z = L⁻¹ z in place (forward substitution) for `count` rows z of
// PaddedDims(dims) values each, row r at zs + r·PaddedDims(dims), zero past
// dims. Element i receives z_i − L(i,0)·z_0 − L(i,1)·z_1 − … − L(i,i−1)·z_{i−1}
// subtracted in that order, then divided by L(i,i): bit for bit the plain
// loop, on any variant and for any count. Rows are whitened several at a
// time because one row is bound by reading the factor (megabytes); from four
// rows on, by arithmetic.
void SolveLower(const PackedFactor& factor, double* zs, int64_t count);

// The variants SolveLower chooses from, for tests: each one this machine
// runs, by name ("avx512", "avx2", "baseline"), and SolveLower through the
// named one (false when it does not run here).
std::vector<const char*> SolveLowerVariants();
bool SolveLowerWith(const char* variant, const PackedFactor& factor, double* zs, int64_t count);

// cov[i][j] += Σ_b block[b][i]·block[b][j] for j <= i, on rows of `stride`
// doubles (a multiple of 4, zero-padded). Each element receives its terms
// one at a time in row order. Diagonal tiles write a few entries above the
// diagonal, which are ignored.
void AccumulateLower(const double* block, int64_t nb, int64_t stride, double* cov);

// In place: the lower triangle of `a` (dims × dims of a stride × stride
// matrix, symmetric positive definite) becomes L with L·Lᵀ = a; the entries
// above the diagonal become zero. dims³/6 multiply-adds. Internal error
// naming the feature when a pivot is not positive.
Status FactorCholesky(double* a, int64_t dims, int64_t stride);

// sums[c] = Σ_i (z[i] − means[i·width + c])² for c < width (a multiple of
// 4: the class means interleaved, feature by feature). Each class's sum
// takes its terms in feature order.
void SquaredDistances(const double* z, int64_t dims, const double* means, int64_t width,
                      double* sums);

}  // namespace citadel::ml::internal
