#include "data/table/value_sort.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "base/random.h"

namespace citadel::data {
namespace {

// (SortValues is checked bit for bit against std::sort on many shapes in
// transform/numeric/order_statistics_test.cc, where its first user lives.)

std::vector<int64_t> DrawInts(SeededRng& rng, size_t n, int shape) {
  std::vector<int64_t> v(n);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t u = rng.Next();
    switch (shape) {
      case 0:  // anything, the extremes included
        v[i] = static_cast<int64_t>(u);
        if (u % 97 == 0) v[i] = std::numeric_limits<int64_t>::min();
        if (u % 89 == 0) v[i] = std::numeric_limits<int64_t>::max();
        break;
      case 1:  // few distinct, both signs: the counting path
        v[i] = static_cast<int64_t>(u % 200) - 100;
        break;
      case 2:  // timestamps in µs around now: shared high digits skipped
        v[i] = 1'700'000'000'000'000 + static_cast<int64_t>(u % 100'000'000'000);
        break;
      default:  // descending
        v[i] = -static_cast<int64_t>(i) * 3;
    }
  }
  return v;
}

TEST(SortInts, SortsAscendingLikeStdSort) {
  SeededRng rng(23);
  for (int shape = 0; shape < 4; ++shape) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{511}, size_t{512}, size_t{30000}}) {
      std::vector<int64_t> v = DrawInts(rng, n, shape);
      std::vector<int64_t> want = v;
      std::sort(want.begin(), want.end());
      SortInts(v);
      ASSERT_EQ(v, want) << "shape " << shape << " n " << n;
    }
  }
}

TEST(SortValues, OrdersInfinitiesAndSignsAroundZero) {
  std::vector<double> v;
  const double inf = std::numeric_limits<double>::infinity();
  for (int i = 0; i < 1000; ++i) v.push_back(i % 4 == 0 ? inf : (i % 4 == 1 ? -inf : i * -1.5));
  std::vector<double> want = v;
  std::sort(want.begin(), want.end());
  SortValues(v);
  EXPECT_EQ(v, want);
  EXPECT_EQ(v.front(), -inf);
  EXPECT_EQ(v.back(), inf);
}

}  // namespace
}  // namespace citadel::data
