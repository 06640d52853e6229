#include "data/transform/numeric/order_statistics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <vector>

#include "base/random.h"
#include "data/testing/table_fixtures.h"
#include "data/transform/numeric/numeric_ops.h"

namespace citadel::data {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// `n` values drawn from a few shapes that stress the kernels: many
// duplicates, both signs, wide exponents, infinities.
std::vector<double> Draw(SeededRng& rng, size_t n, int shape) {
  std::vector<double> v(n);
  for (double& x : v) {
    const uint64_t u = rng.Next();
    switch (shape) {
      case 0:  // few distinct values, like a one-hot or a small int column
        x = static_cast<double>(u % 3);
        break;
      case 1:  // any finite double, both signs, every exponent
        do {
          x = std::bit_cast<double>(u ^ (rng.Next() << 1));
        } while (!std::isfinite(x));
        break;
      case 2:  // mixed magnitudes with infinities
        x = (u % 97 == 0) ? (u % 2 ? kInf : -kInf)
                          : (static_cast<double>(u % 100000) - 50000.0) * 1e-3;
        break;
      case 4:  // one distinct value more than the counting sort takes
        x = static_cast<double>(u % 65) - 32;
        break;
      case 5:  // exactly as many as it takes
        x = static_cast<double>(u % 64) * 0.5;
        break;
      default:  // sorted descending input
        x = -static_cast<double>(&x - v.data());
    }
  }
  return v;
}

TEST(SortValues, SortsAscendingExactlyAsAComparisonSortDoes) {
  SeededRng rng(5);
  for (int shape = 0; shape < 7; ++shape) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{511}, size_t{512}, size_t{20000}}) {
      std::vector<double> v = Draw(rng, n, shape);
      std::vector<double> want = v;
      std::sort(want.begin(), want.end());
      SortValues(v);
      ASSERT_EQ(v.size(), want.size());
      for (size_t i = 0; i < n; ++i) {
        ASSERT_EQ(std::bit_cast<uint64_t>(v[i]), std::bit_cast<uint64_t>(want[i]))
            << "shape " << shape << " n " << n << " at " << i;
      }
    }
  }
}

TEST(SortValues, PutsNegativeZeroBeforeZeroAndKeepsBothBitPatterns) {
  std::vector<double> v;
  for (int i = 0; i < 600; ++i) v.push_back(i % 3 == 0 ? 0.0 : (i % 3 == 1 ? -0.0 : -1.0));
  SortValues(v);
  EXPECT_EQ(v[0], -1.0);
  EXPECT_EQ(v[199], -1.0);
  EXPECT_TRUE(std::signbit(v[200]));  // the 200 negative zeros
  EXPECT_TRUE(std::signbit(v[399]));
  EXPECT_FALSE(std::signbit(v[400]));
  EXPECT_EQ(v[599], 0.0);
}

TEST(SelectForQuantiles, GivesTheQuantilesOfTheSortedValues) {
  SeededRng rng(9);
  const std::vector<double> qs = {0, 0.01, 0.1, 0.25, 1.0 / 3, 0.5, 0.75, 0.9, 0.99, 1};
  for (int shape = 0; shape < 7; ++shape) {
    for (size_t n : {size_t{1}, size_t{2}, size_t{3}, size_t{10}, size_t{1001}, size_t{50000}}) {
      const std::vector<double> drawn = Draw(rng, n, shape);
      std::vector<double> sorted = drawn;
      std::sort(sorted.begin(), sorted.end());
      // One quantile at a time and all of them together.
      for (double q : qs) {
        std::vector<double> v = drawn;
        SelectForQuantiles(v, std::span<const double>(&q, 1));
        ASSERT_EQ(Quantile(v, q), Quantile(sorted, q)) << shape << " " << n << " " << q;
      }
      std::vector<double> v = drawn;
      SelectForQuantiles(v, qs);
      for (double q : qs) ASSERT_EQ(Quantile(v, q), Quantile(sorted, q)) << n << " " << q;
      // The multiset is kept.
      std::sort(v.begin(), v.end());
      ASSERT_EQ(v, sorted);
    }
  }
}

TEST(SelectForQuantiles, EveryBucketizeQuantileOfManyDuplicates) {
  // 1000 quantiles (bucketize's maximum) of a column with 5 distinct values.
  std::vector<double> drawn;
  for (int i = 0; i < 3000; ++i) drawn.push_back(static_cast<double>((i * 7919) % 5));
  std::vector<double> qs;
  for (int k = 1; k < 1000; ++k) qs.push_back(k / 1000.0);
  std::vector<double> v = drawn;
  SelectForQuantiles(v, qs);
  // Hand count: sorted, value j fills positions [600 j, 600 j + 600).
  for (double q : qs) {
    const double pos = q * 2999;
    const double lo = std::floor(pos / 600), hi = std::floor(std::ceil(pos) / 600);
    const double t = pos - std::floor(pos);
    ASSERT_DOUBLE_EQ(Quantile(v, q), lo + (hi - lo) * t) << q;
  }
}

TEST(SelectForQuantiles, EmptyInputIsLeftAlone) {
  std::vector<double> v;
  const double q = 0.5;
  SelectForQuantiles(v, std::span<const double>(&q, 1));
  EXPECT_TRUE(v.empty());
}

TEST(SelectInt, FindsTheKthSmallest) {
  std::vector<int64_t> v = {9, -4, 7, 7, 0, std::numeric_limits<int64_t>::max(), -4};
  EXPECT_EQ(SelectInt(v, 0), -4);
  EXPECT_EQ(SelectInt(v, 2), 0);
  EXPECT_EQ(SelectInt(v, 4), 7);
  EXPECT_EQ(SelectInt(v, 6), std::numeric_limits<int64_t>::max());
}

TEST(TrainingValues, KeepsPresentNonNaNCellsOfTheListedRowsInRowOrder) {
  Column f = testing::FloatColumn("x", {3, std::nullopt, kNaN, -kInf, 1, 100});
  std::vector<size_t> rows = {0, 1, 2, 3, 4};
  EXPECT_EQ(TrainingValues(f, rows), (std::vector<double>{3, -kInf, 1}));
  Column i = testing::IntColumn("n", {5, std::nullopt, -2, 8});
  std::vector<size_t> some = {1, 2, 3};
  EXPECT_EQ(TrainingValues(i, some), (std::vector<double>{-2, 8}));
  EXPECT_TRUE(TrainingValues(i, {}).empty());
  Column empty = testing::FloatColumn("e", {std::nullopt, kNaN});
  EXPECT_TRUE(TrainingValues(empty, testing::AllRows(testing::MakeTable({empty}))).empty());
}

}  // namespace
}  // namespace citadel::data
