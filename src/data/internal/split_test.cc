#include "data/internal/split.h"

#include <gtest/gtest.h>

#include <set>

namespace citadel::data {
namespace {

SplitSpec Spec(std::vector<std::pair<std::string, double>> fractions, uint64_t seed,
               bool stratify) {
  return SplitSpec{.fractions = std::move(fractions), .seed = seed, .stratify = stratify};
}

TEST(LargestRemainder, CountsSumToNAndFollowTheFractions) {
  std::vector<double> f = {0.8, 0.2};
  EXPECT_EQ(LargestRemainderCounts(10, f), (std::vector<size_t>{8, 2}));
  EXPECT_EQ(LargestRemainderCounts(178, f), (std::vector<size_t>{142, 36}));
  EXPECT_EQ(LargestRemainderCounts(182, f), (std::vector<size_t>{146, 36}));
  EXPECT_EQ(LargestRemainderCounts(1, f), (std::vector<size_t>{1, 0}));
  EXPECT_EQ(LargestRemainderCounts(0, f), (std::vector<size_t>{0, 0}));
}

TEST(LargestRemainder, TiesGoToTheEarlierSplit) {
  std::vector<double> thirds = {1.0 / 3, 1.0 / 3, 1.0 / 3};
  EXPECT_EQ(LargestRemainderCounts(4, thirds), (std::vector<size_t>{2, 1, 1}));
  EXPECT_EQ(LargestRemainderCounts(5, thirds), (std::vector<size_t>{2, 2, 1}));
  std::vector<double> halves = {0.5, 0.5};
  EXPECT_EQ(LargestRemainderCounts(3, halves), (std::vector<size_t>{2, 1}));
}

TEST(SplitSpecValidation, RejectsBadFractions) {
  EXPECT_TRUE(ValidateSplitSpec(Spec({{"train", 0.8}, {"test", 0.2}}, 0, false)).ok());
  EXPECT_TRUE(ValidateSplitSpec(Spec({}, 0, false)).ok());
  EXPECT_FALSE(ValidateSplitSpec(Spec({{"train", 0.8}, {"test", 0.1}}, 0, false)).ok());
  EXPECT_FALSE(ValidateSplitSpec(Spec({{"train", 1.2}, {"test", -0.2}}, 0, false)).ok());
  EXPECT_FALSE(ValidateSplitSpec(Spec({{"train", 0.5}, {"train", 0.5}}, 0, false)).ok());
  EXPECT_FALSE(ValidateSplitSpec(Spec({{"train", 1.0}, {"test", 0.0}}, 0, false)).ok());
}

// 3 classes of 50, 30 and 7 rows, interleaved.
std::vector<int64_t> Labels() {
  std::vector<int64_t> labels;
  for (int i = 0; i < 50; ++i) {
    labels.push_back(0);
    if (i < 30) labels.push_back(1);
    if (i < 7) labels.push_back(2);
  }
  return labels;
}

void ExpectPartition(const std::vector<std::vector<size_t>>& splits, size_t n) {
  std::set<size_t> seen;
  size_t total = 0;
  for (const auto& rows : splits) {
    EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end()));
    seen.insert(rows.begin(), rows.end());
    total += rows.size();
  }
  EXPECT_EQ(total, n) << "rows overlap or are missing";
  EXPECT_EQ(seen.size(), n);
}

TEST(AssignSplits, StratifiedSplitKeepsClassProportionsAndCoversEveryRowOnce) {
  std::vector<int64_t> labels = Labels();
  SplitSpec spec = Spec({{"train", 0.7}, {"val", 0.15}, {"test", 0.15}}, 11, true);
  auto splits = AssignSplits(spec, labels, 3);
  ASSERT_EQ(splits.size(), 3u);
  ExpectPartition(splits, labels.size());
  const size_t class_sizes[] = {50, 30, 7};
  for (size_t s = 0; s < 3; ++s) {
    size_t per_class[3] = {0, 0, 0};
    for (size_t r : splits[s]) ++per_class[labels[r]];
    for (size_t c = 0; c < 3; ++c) {
      double expected = static_cast<double>(class_sizes[c]) * spec.fractions[s].second;
      EXPECT_LE(std::fabs(static_cast<double>(per_class[c]) - expected), 1.0)
          << "split " << s << " class " << c;
    }
  }
}

TEST(AssignSplits, PlainSplitHasLargestRemainderSizes) {
  std::vector<int64_t> labels = Labels();
  auto splits = AssignSplits(Spec({{"train", 0.8}, {"test", 0.2}}, 3, false), labels, 3);
  ExpectPartition(splits, labels.size());
  EXPECT_EQ(splits[0].size(), 70u);  // 87 * 0.8 = 69.6
  EXPECT_EQ(splits[1].size(), 17u);
}

TEST(AssignSplits, SameSeedGivesTheSameSplitAndAnotherSeedDoesNot) {
  std::vector<int64_t> labels = Labels();
  for (bool stratify : {false, true}) {
    auto a = AssignSplits(Spec({{"train", 0.8}, {"test", 0.2}}, 7, stratify), labels, 3);
    auto b = AssignSplits(Spec({{"train", 0.8}, {"test", 0.2}}, 7, stratify), labels, 3);
    auto c = AssignSplits(Spec({{"train", 0.8}, {"test", 0.2}}, 8, stratify), labels, 3);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
  }
}

}  // namespace
}  // namespace citadel::data
