#include "base/ids.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "base/random.h"

namespace citadel {
namespace {

TEST(UuidV7, HasVersionAndVariantBits) {
  std::regex shape("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(std::regex_match(NewUuidV7(), shape));
}

TEST(UuidV7, IsUniqueAndSortsInCreationOrder) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5000; ++i) ids.push_back(NewUuidV7());
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size());
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
}

TEST(SeededRng, SameSeedGivesSameShuffle) {
  std::vector<int> a(100), b(100);
  for (int i = 0; i < 100; ++i) a[i] = b[i] = i;
  SeededRng r1(7), r2(7), r3(8);
  r1.Shuffle(a);
  r2.Shuffle(b);
  EXPECT_EQ(a, b);
  std::vector<int> c(100);
  for (int i = 0; i < 100; ++i) c[i] = i;
  r3.Shuffle(c);
  EXPECT_NE(a, c);
}

TEST(SeededRng, BelowStaysInRange) {
  SeededRng rng(1);
  std::vector<int> counts(3);
  for (int i = 0; i < 3000; ++i) {
    uint64_t v = rng.Below(3);
    ASSERT_LT(v, 3u);
    counts[v]++;
  }
  for (int c : counts) EXPECT_GT(c, 800);
}

}  // namespace
}  // namespace citadel
