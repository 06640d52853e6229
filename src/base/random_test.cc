#include "base/random.h"

#include <gtest/gtest.h>

namespace citadel {
namespace {

TEST(SeededRng, RestoredStateContinuesTheSequenceExactly) {
  SeededRng a(42);
  for (int i = 0; i < 1000; ++i) a.Next();  // somewhere in the middle
  const std::string state = a.State();
  std::vector<uint64_t> expected;
  for (int i = 0; i < 50; ++i) expected.push_back(a.Next());

  SeededRng b(7);
  ASSERT_TRUE(b.Restore(state));
  std::vector<uint64_t> got;
  for (int i = 0; i < 50; ++i) got.push_back(b.Next());
  EXPECT_EQ(got, expected);
}

TEST(SeededRng, RefusesAStateItDidNotWriteAndStaysUnchanged) {
  SeededRng a(1), reference(1);
  EXPECT_FALSE(a.Restore("not a generator"));
  EXPECT_FALSE(a.Restore(""));
  EXPECT_FALSE(a.Restore(reference.State() + " 17"));  // trailing garbage
  EXPECT_EQ(a.Next(), reference.Next());
}

}  // namespace
}  // namespace citadel
