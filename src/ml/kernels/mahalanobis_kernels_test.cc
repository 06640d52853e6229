// The detector's solve against its definition: forward substitution written
// as the plain loop, on every variant this machine runs, for widths around
// the panel size and row counts that take each tile shape.
#include "ml/kernels/mahalanobis_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace citadel::ml::internal {
namespace {

struct Factor {
  int64_t dims = 0;
  std::vector<double> lower;  // dims × dims, row-major
};

// A well-conditioned random lower triangle (seeded).
Factor RandomFactor(int64_t dims, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> off(-0.3, 0.3);
  std::uniform_real_distribution<double> diag(0.5, 2.0);
  Factor f{dims, std::vector<double>(static_cast<size_t>(dims * dims), 0.0)};
  for (int64_t i = 0; i < dims; ++i) {
    for (int64_t j = 0; j < i; ++j) f.lower[static_cast<size_t>(i * dims + j)] = off(rng);
    f.lower[static_cast<size_t>(i * dims + i)] = diag(rng);
  }
  return f;
}

// The definition: z_i minus L(i,j)·z_j for j = 0, 1, …, i−1, then over L(i,i).
std::vector<double> Reference(const Factor& f, std::vector<double> z) {
  for (int64_t i = 0; i < f.dims; ++i) {
    double v = z[static_cast<size_t>(i)];
    for (int64_t j = 0; j < i; ++j) {
      v -= f.lower[static_cast<size_t>(i * f.dims + j)] * z[static_cast<size_t>(j)];
    }
    z[static_cast<size_t>(i)] = v / f.lower[static_cast<size_t>(i * f.dims + i)];
  }
  return z;
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(MahalanobisKernelsTest, EveryVariantSolvesBitForBitAsThePlainLoop) {
  const std::vector<const char*> variants = SolveLowerVariants();
  ASSERT_FALSE(variants.empty());
  EXPECT_STREQ(variants.back(), "baseline");  // runs everywhere
  // Up to 784 (a 28×28 image's features, 49 panels): the one-row tiles
  // span four panels, so they only subtract earlier columns from 65 on.
  for (const int64_t dims : {1, 5, 15, 16, 17, 33, 64, 100, 129, 784}) {
    const Factor f = RandomFactor(dims, static_cast<uint32_t>(dims));
    const PackedFactor packed(f.lower.data(), dims, dims);
    const int64_t stride = PaddedDims(dims);
    // 1…11 rows: each tile shape (8, 4, 3, 2, 1 rows) and their mixes.
    for (int64_t count = 1; count <= 11; ++count) {
      std::mt19937_64 rng(static_cast<uint64_t>(dims * 100 + count));
      std::normal_distribution<double> value(0.0, 3.0);
      std::uniform_int_distribution<int> kind(0, 5);
      std::vector<double> rows(static_cast<size_t>(count * stride), 0.0);
      for (int64_t r = 0; r < count; ++r) {
        for (int64_t i = 0; i < dims; ++i) {
          // Images are mostly exact zeros: some of both signs among the values.
          const int k = kind(rng);
          rows[static_cast<size_t>(r * stride + i)] = k == 0 ? 0.0 : k == 1 ? -0.0 : value(rng);
        }
      }
      for (const char* variant : variants) {
        std::vector<double> solved = rows;
        ASSERT_TRUE(SolveLowerWith(variant, packed, solved.data(), count)) << variant;
        for (int64_t r = 0; r < count; ++r) {
          const auto first = rows.begin() + r * stride;
          const std::vector<double> want = Reference(f, std::vector<double>(first, first + dims));
          for (int64_t i = 0; i < stride; ++i) {
            const double got = solved[static_cast<size_t>(r * stride + i)];
            if (i >= dims) {
              ASSERT_TRUE(SameBits(got, 0.0))
                  << variant << ": padding at " << i << " became " << got;
              continue;
            }
            ASSERT_TRUE(SameBits(got, want[static_cast<size_t>(i)]))
                << variant << ", " << dims << " features, " << count << " rows: row " << r
                << " element " << i << " is " << got << ", the plain loop gives "
                << want[static_cast<size_t>(i)];
          }
        }
      }
      // And the one SolveLower picks.
      std::vector<double> picked = rows;
      SolveLower(packed, picked.data(), count);
      std::vector<double> baseline = rows;
      ASSERT_TRUE(SolveLowerWith("baseline", packed, baseline.data(), count));
      ASSERT_EQ(0, std::memcmp(picked.data(), baseline.data(), picked.size() * sizeof(double)));
    }
  }
}

TEST(MahalanobisKernelsTest, AnUnknownVariantIsRefused) {
  const Factor f = RandomFactor(3, 1);
  const PackedFactor packed(f.lower.data(), 3, 3);
  std::vector<double> z(static_cast<size_t>(PaddedDims(3)), 1.0);
  EXPECT_FALSE(SolveLowerWith("sse9", packed, z.data(), 1));
  EXPECT_EQ(z[0], 1.0);  // untouched
}

TEST(MahalanobisKernelsTest, ThePackedFactorGivesBackL) {
  const Factor f = RandomFactor(37, 9);
  const PackedFactor packed(f.lower.data(), 37, 37);
  EXPECT_EQ(packed.dims(), 37);
  for (int64_t i = 0; i < 37; ++i) {
    for (int64_t j = 0; j < 37; ++j) {
      ASSERT_EQ(packed.at(i, j), j > i ? 0.0 : f.lower[static_cast<size_t>(i * 37 + j)])
          << i << "," << j;
    }
  }
}

}  // namespace
}  // namespace citadel::ml::internal
