#include "data/split/assign_splits.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>

#include "base/random.h"
#include "data/testing/table_fixtures.h"

namespace citadel::data::split {
namespace {

using data::testing::FloatColumn;
using data::testing::IntColumn;
using data::testing::MakeTable;
using data::testing::StringColumn;
using RowLists = std::vector<std::vector<size_t>>;

SplitSpec Spec(std::vector<std::pair<std::string, double>> fractions, uint64_t seed = 0,
               SplitMethod method = SplitMethod::kRandom, std::string column = "") {
  SplitSpec spec;
  spec.fractions = std::move(fractions);
  spec.seed = seed;
  spec.method = method;
  spec.column = std::move(column);
  return spec;
}

// A table of `n` rows with one int column "id" = row index.
Table Rows(size_t n) {
  std::vector<std::optional<int64_t>> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back(static_cast<int64_t>(i));
  return MakeTable({IntColumn("id", ids)});
}

Column TimestampColumn(std::string name, std::vector<std::optional<int64_t>> micros) {
  Column c = Column::Empty(name, ColumnType::kTimestamp, {name});
  for (const auto& x : micros) x ? c.Append(*x) : c.AppendMissing();
  return c;
}

void ExpectPartition(const RowLists& splits, size_t n) {
  std::set<size_t> seen;
  size_t total = 0;
  for (const auto& rows : splits) {
    EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end()));
    seen.insert(rows.begin(), rows.end());
    total += rows.size();
  }
  EXPECT_EQ(total, n) << "rows overlap or are missing";
  EXPECT_EQ(seen.size(), n);
  if (!seen.empty()) {
    EXPECT_LT(*seen.rbegin(), n);
  }
}

std::string ErrorOf(const Result<RowLists>& r) {
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(LargestRemainder, CountsSumToNAndFollowTheFractions) {
  std::vector<double> f = {0.8, 0.2};
  EXPECT_EQ(LargestRemainderCounts(10, f), (std::vector<size_t>{8, 2}));
  EXPECT_EQ(LargestRemainderCounts(178, f), (std::vector<size_t>{142, 36}));  // 142.4, 35.6
  EXPECT_EQ(LargestRemainderCounts(1, f), (std::vector<size_t>{1, 0}));
  EXPECT_EQ(LargestRemainderCounts(0, f), (std::vector<size_t>{0, 0}));
  std::vector<double> thirds = {1.0 / 3, 1.0 / 3, 1.0 / 3};
  EXPECT_EQ(LargestRemainderCounts(4, thirds), (std::vector<size_t>{2, 1, 1}));  // ties: earlier
  EXPECT_EQ(LargestRemainderCounts(5, thirds), (std::vector<size_t>{2, 2, 1}));
}

TEST(RandomSplit, IsAShuffleCutIntoLargestRemainderRunsInNameOrder) {
  Table t = Rows(50);
  auto splits = AssignSplits(Spec({{"test", 0.3}, {"train", 0.7}}, 42), t);
  ASSERT_TRUE(splits.ok()) << splits.status();
  ASSERT_EQ(splits->size(), 2u);
  ExpectPartition(*splits, 50);
  // Independently: shuffle 0..49 with the seed; the first 15 are "test".
  std::vector<size_t> rows(50);
  std::iota(rows.begin(), rows.end(), 0);
  SeededRng rng(42);
  rng.Shuffle(rows);
  std::vector<size_t> test(rows.begin(), rows.begin() + 15);
  std::sort(test.begin(), test.end());
  EXPECT_EQ((*splits)[0], test);
  EXPECT_EQ((*splits)[1].size(), 35u);
}

TEST(RandomSplit, SameSeedGivesTheSameRowsAndAnotherSeedDoesNot) {
  Table t = Rows(200);
  auto spec = Spec({{"test", 0.2}, {"train", 0.8}}, 7);
  auto a = AssignSplits(spec, t);
  auto b = AssignSplits(spec, t);
  spec.seed = 8;
  auto c = AssignSplits(spec, t);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
}

TEST(AssignSplits, ZeroRowsIsAnErrorNamingTheFirstEmptySplit) {
  std::string msg = ErrorOf(AssignSplits(Spec({{"test", 0.2}, {"train", 0.8}}), Rows(0)));
  EXPECT_TRUE(Contains(msg, "t.csv: split 'test' (fraction 0.2) would get 0 of 0 rows")) << msg;
}

TEST(AssignSplits, OneRowFillsASingleSplitButLeavesTheSecondEmpty) {
  auto one = AssignSplits(Spec({{"all", 1.0}}), Rows(1));
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(*one, (RowLists{{0}}));
  std::string msg = ErrorOf(AssignSplits(Spec({{"test", 0.2}, {"train", 0.8}}), Rows(1)));
  EXPECT_TRUE(Contains(msg, "split 'test' (fraction 0.2) would get 0 of 1 rows")) << msg;
  EXPECT_TRUE(Contains(msg, "larger fraction")) << msg;
}

TEST(AssignSplits, RejectsAnInvalidSpecBuiltInCode) {
  EXPECT_TRUE(Contains(ErrorOf(AssignSplits(Spec({{"a", 0.5}}), Rows(4))), "sum to 0.5"));
  EXPECT_TRUE(Contains(ErrorOf(AssignSplits(Spec({}), Rows(4))), "no splits"));
}

// 3 classes of 50, 30 and 7 rows, interleaved, plus 6 rows with no label.
Table Classes() {
  std::vector<data::testing::OptString> y;
  for (int i = 0; i < 50; ++i) {
    y.push_back("a");
    if (i < 30) y.push_back("b");
    if (i < 7) y.push_back("c");
    if (i < 6) y.push_back(std::nullopt);
  }
  return MakeTable({StringColumn("y", y)}, "y");
}

TEST(StratifiedSplit, KeepsEveryStratumsShareWithinOneRowIncludingMissing) {
  Table t = Classes();
  const Column& y = t.columns[0];
  SplitSpec spec =
      Spec({{"test", 0.15}, {"train", 0.7}, {"val", 0.15}}, 11, SplitMethod::kStratified, "y");
  auto splits = AssignSplits(spec, t);
  ASSERT_TRUE(splits.ok()) << splits.status();
  ExpectPartition(*splits, t.num_rows());
  const std::map<std::string, double> sizes = {{"a", 50}, {"b", 30}, {"c", 7}, {"", 6}};
  for (size_t s = 0; s < 3; ++s) {
    std::map<std::string, double> per;
    for (size_t r : (*splits)[s]) per[y.is_valid(r) ? y.strings[r] : ""] += 1;
    for (const auto& [value, size] : sizes) {
      EXPECT_LE(std::fabs(per[value] - size * spec.fractions[s].second), 1.0)
          << "split " << s << " stratum '" << value << "'";
    }
  }
}

TEST(StratifiedSplit, StratifyTrueUsesTheLabelColumnAndIsReproducible) {
  Table t = Classes();
  auto by_label =
      AssignSplits(Spec({{"test", 0.2}, {"train", 0.8}}, 3, SplitMethod::kStratified), t);
  auto by_name =
      AssignSplits(Spec({{"test", 0.2}, {"train", 0.8}}, 3, SplitMethod::kStratified, "y"), t);
  ASSERT_TRUE(by_label.ok() && by_name.ok());
  EXPECT_EQ(*by_label, *by_name);
  auto other_seed =
      AssignSplits(Spec({{"test", 0.2}, {"train", 0.8}}, 4, SplitMethod::kStratified, "y"), t);
  ASSERT_TRUE(other_seed.ok());
  EXPECT_NE(*by_name, *other_seed);
}

TEST(StratifiedSplit, SingleStratumEqualsTheRandomSplit) {
  // One stratum: the same generator shuffles the same rows as the random split.
  Table t = MakeTable({IntColumn("k", std::vector<std::optional<int64_t>>(40, 1))});
  auto strat =
      AssignSplits(Spec({{"test", 0.25}, {"train", 0.75}}, 9, SplitMethod::kStratified, "k"), t);
  auto random = AssignSplits(Spec({{"test", 0.25}, {"train", 0.75}}, 9), t);
  ASSERT_TRUE(strat.ok() && random.ok());
  EXPECT_EQ(*strat, *random);
}

// The stratified split as assign_splits.h defines it, written out directly:
// strata in ascending typed order (`strata` lists their rows, ascending), one
// generator shuffling each in turn, largest-remainder runs per split.
RowLists ReferenceStratified(const std::vector<std::vector<size_t>>& strata,
                             std::vector<double> fractions, uint64_t seed) {
  RowLists out(fractions.size());
  SeededRng rng(seed);
  for (std::vector<size_t> rows : strata) {
    rng.Shuffle(rows);
    std::vector<size_t> counts = LargestRemainderCounts(rows.size(), fractions);
    size_t next = 0;
    for (size_t s = 0; s < counts.size(); ++s) {
      out[s].insert(out[s].end(), rows.begin() + next, rows.begin() + next + counts[s]);
      next += counts[s];
    }
  }
  for (auto& rows : out) std::sort(rows.begin(), rows.end());
  return out;
}

TEST(StratifiedSplit, FollowsTheDefinitionForFewAndForManyDistinctValues) {
  // Few strata, with missing cells last: "a" < "b" < "c" < missing.
  Table few = MakeTable({StringColumn(
      "s", {"c", "a", std::nullopt, "b", "a", "c", "a", std::nullopt, "b", "c", "a", "b"})});
  auto got = AssignSplits(Spec({{"x", 0.5}, {"y", 0.5}}, 21, SplitMethod::kStratified, "s"), few);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got,
            ReferenceStratified({{1, 4, 6, 10}, {3, 8, 11}, {0, 5, 9}, {2, 7}}, {0.5, 0.5}, 21));

  // Floats: -0.0 with 0.0, NaN after every number.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Table floats = MakeTable({FloatColumn("f", {nan, 0.0, -1.0, -0.0, nan, 2.0, -1.0, 0.0})});
  got = AssignSplits(Spec({{"x", 0.5}, {"y", 0.5}}, 5, SplitMethod::kStratified, "f"), floats);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, ReferenceStratified({{2, 6}, {1, 3, 7}, {5}, {0, 4}}, {0.5, 0.5}, 5));

  // 6000 distinct values (more than are grouped by counting), each on two
  // rows, given in descending order: value v sits on rows 5999 − v and
  // 11999 − v.
  std::vector<std::optional<int64_t>> values;
  for (int copy = 0; copy < 2; ++copy) {
    for (int64_t v = 5999; v >= 0; --v) values.push_back(v);
  }
  Table many = MakeTable({IntColumn("k", values)});
  std::vector<std::vector<size_t>> strata;
  for (size_t v = 0; v < 6000; ++v) strata.push_back({5999 - v, 11999 - v});
  got = AssignSplits(Spec({{"x", 0.5}, {"y", 0.5}}, 8, SplitMethod::kStratified, "k"), many);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, ReferenceStratified(strata, {0.5, 0.5}, 8));
  EXPECT_EQ((*got)[0].size(), 6000u);
}

TEST(StratifiedSplit, NoLabelOrUnknownColumnIsAnError) {
  Table t = Rows(10);
  EXPECT_TRUE(
      Contains(ErrorOf(AssignSplits(Spec({{"train", 1.0}}, 0, SplitMethod::kStratified), t)),
               "the table has none"));
  std::string msg =
      ErrorOf(AssignSplits(Spec({{"train", 1.0}}, 0, SplitMethod::kStratified, "churn"), t));
  EXPECT_TRUE(Contains(msg, "churn")) << msg;
  EXPECT_TRUE(Contains(msg, "id")) << msg;
}

// 1000 rows in groups of 1 to 6 rows (sizes cycle), group key = "g<index>".
Table SmallGroups(size_t* largest) {
  std::vector<data::testing::OptString> keys;
  for (size_t g = 0; keys.size() < 1000; ++g) {
    for (size_t i = 0; i < g % 6 + 1 && keys.size() < 1000; ++i) {
      keys.push_back("g" + std::to_string(g));
    }
  }
  *largest = 6;
  return MakeTable({StringColumn("customer_id", keys)});
}

TEST(GroupSplit, NoGroupSpansTwoSplitsAndSizesStayWithinOneGroupOfTarget) {
  size_t largest = 0;
  Table t = SmallGroups(&largest);
  const Column& key = t.columns[0];
  SplitSpec spec =
      Spec({{"test", 0.2}, {"train", 0.7}, {"val", 0.1}}, 5, SplitMethod::kGroup, "customer_id");
  auto splits = AssignSplits(spec, t);
  ASSERT_TRUE(splits.ok()) << splits.status();
  ExpectPartition(*splits, 1000);
  std::map<std::string, size_t> home;
  for (size_t s = 0; s < 3; ++s) {
    for (size_t r : (*splits)[s]) {
      auto [it, inserted] = home.emplace(key.strings[r], s);
      EXPECT_EQ(it->second, s) << "group " << key.strings[r] << " is in two splits";
    }
    double target = 1000 * spec.fractions[s].second;
    double size = static_cast<double>((*splits)[s].size());
    EXPECT_LT(size, target + static_cast<double>(largest)) << "split " << s;
    EXPECT_GT(size, target - 2.0 * static_cast<double>(largest)) << "split " << s;
  }
}

TEST(GroupSplit, IsReproducibleAndDependsOnTheSeed) {
  size_t largest = 0;
  Table t = SmallGroups(&largest);
  auto spec = Spec({{"test", 0.5}, {"train", 0.5}}, 1, SplitMethod::kGroup, "customer_id");
  auto a = AssignSplits(spec, t);
  auto b = AssignSplits(spec, t);
  spec.seed = 2;
  auto c = AssignSplits(spec, t);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
}

TEST(GroupSplit, FloatKeysGroupNaNTogetherAndNegativeZeroWithZero) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Table t = MakeTable({FloatColumn("g", {nan, 0.0, 1.5, -0.0, nan, 1.5, 2, 2})});
  auto splits = AssignSplits(Spec({{"a", 0.5}, {"b", 0.5}}, 3, SplitMethod::kGroup, "g"), t);
  ASSERT_TRUE(splits.ok()) << splits.status();
  ExpectPartition(*splits, 8);
  auto same_split = [&](size_t r1, size_t r2) {
    for (const auto& rows : *splits) {
      bool has1 = std::binary_search(rows.begin(), rows.end(), r1);
      bool has2 = std::binary_search(rows.begin(), rows.end(), r2);
      if (has1 != has2) return false;
    }
    return true;
  };
  EXPECT_TRUE(same_split(0, 4));  // NaN, NaN
  EXPECT_TRUE(same_split(1, 3));  // 0.0, -0.0
  EXPECT_TRUE(same_split(2, 5));
  EXPECT_TRUE(same_split(6, 7));
}

TEST(GroupSplit, MissingGroupKeyIsAnErrorNamingColumnCountAndRows) {
  Table t = MakeTable({IntColumn("customer_id", {1, std::nullopt, 2, std::nullopt})});
  std::string msg =
      ErrorOf(AssignSplits(Spec({{"train", 1.0}}, 0, SplitMethod::kGroup, "customer_id"), t));
  EXPECT_TRUE(Contains(msg, "'customer_id' is missing in 2 of 4 rows (t.csv:3, t.csv:5)")) << msg;
  EXPECT_TRUE(Contains(msg, "drop_missing")) << msg;
}

TEST(GroupSplit, TooFewGroupsLeaveASplitEmptyWhichIsAnError) {
  Table t = MakeTable({IntColumn("g", {1, 1, 1, 1, 1})});
  std::string msg =
      ErrorOf(AssignSplits(Spec({{"test", 0.2}, {"train", 0.8}}, 0, SplitMethod::kGroup, "g"), t));
  EXPECT_TRUE(Contains(msg, "split 'test' (fraction 0.2) would get 0 of 5 rows")) << msg;
  EXPECT_TRUE(Contains(msg, "whole groups of 'g'")) << msg;
}

SplitSpec TimeSpec(std::vector<std::pair<std::string, double>> fractions, std::string column,
                   std::vector<std::string> order = {}) {
  SplitSpec s = Spec(std::move(fractions), 0, SplitMethod::kTime, std::move(column));
  s.time_order = std::move(order);
  return s;
}

TEST(TimeSplit, EarlierSplitsHoldOnlyEarlierOrEqualTimes) {
  // Shuffled timestamps with ties, 2024-01-01 + k days.
  const int64_t day = 86'400'000'000;
  const int64_t base = 1'704'067'200'000'000;
  std::vector<std::optional<int64_t>> ts;
  SeededRng rng(1);
  for (int i = 0; i < 97; ++i) ts.push_back(base + day * static_cast<int64_t>(rng.Below(30)));
  Table t = MakeTable({TimestampColumn("signup_date", ts)});
  SplitSpec spec = TimeSpec({{"test", 0.2}, {"train", 0.7}, {"valid", 0.1}}, "signup_date");
  auto splits = AssignSplits(spec, t);
  ASSERT_TRUE(splits.ok()) << splits.status();
  ExpectPartition(*splits, 97);
  // Default order: train (68 rows), valid (10), test (19): 67.9, 9.7, 19.4 rounded.
  const RowLists& s = *splits;
  EXPECT_EQ(s[1].size(), 68u);
  EXPECT_EQ(s[2].size(), 10u);
  EXPECT_EQ(s[0].size(), 19u);
  auto max_of = [&](const std::vector<size_t>& rows) {
    int64_t m = std::numeric_limits<int64_t>::min();
    for (size_t r : rows) m = std::max(m, *ts[r]);
    return m;
  };
  auto min_of = [&](const std::vector<size_t>& rows) {
    int64_t m = std::numeric_limits<int64_t>::max();
    for (size_t r : rows) m = std::min(m, *ts[r]);
    return m;
  };
  EXPECT_LE(max_of(s[1]), min_of(s[2]));
  EXPECT_LE(max_of(s[2]), min_of(s[0]));
}

TEST(TimeSplit, TiesKeepRowOrderAndAnExplicitOrderIsFollowed) {
  Table t = MakeTable({IntColumn("t", {5, 5, 5, 5, 5, 5, 5, 5, 5, 5})});
  auto by_default = AssignSplits(TimeSpec({{"test", 0.2}, {"train", 0.8}}, "t"), t);
  ASSERT_TRUE(by_default.ok()) << by_default.status();
  EXPECT_EQ(*by_default, (RowLists{{8, 9}, {0, 1, 2, 3, 4, 5, 6, 7}}));
  auto reversed =
      AssignSplits(TimeSpec({{"test", 0.2}, {"train", 0.8}}, "t", {"test", "train"}), t);
  ASSERT_TRUE(reversed.ok()) << reversed.status();
  EXPECT_EQ(*reversed, (RowLists{{0, 1}, {2, 3, 4, 5, 6, 7, 8, 9}}));
}

TEST(TimeSplit, FloatTimesOrderInfinitiesAtTheEnds) {
  const double inf = std::numeric_limits<double>::infinity();
  Table t = MakeTable({FloatColumn("t", {inf, 3.5, -inf, 1.0})});
  auto splits = AssignSplits(TimeSpec({{"test", 0.5}, {"train", 0.5}}, "t"), t);
  ASSERT_TRUE(splits.ok()) << splits.status();
  EXPECT_EQ(*splits, (RowLists{{0, 1}, {2, 3}}));
}

TEST(TimeSplit, MissingOrNaNTimesAndNonTimeColumnsAreErrors) {
  SplitSpec spec = TimeSpec({{"train", 1.0}}, "t");
  Table missing = MakeTable({TimestampColumn("t", {1, std::nullopt, 3})});
  std::string msg = ErrorOf(AssignSplits(spec, missing));
  EXPECT_TRUE(Contains(msg, "time column 't' is missing in 1 of 3 rows (t.csv:3)")) << msg;

  const double nan = std::numeric_limits<double>::quiet_NaN();
  Table nans = MakeTable({FloatColumn("t", {nan, 1, nan, nan, nan, 2})});
  msg = ErrorOf(AssignSplits(spec, nans));
  EXPECT_TRUE(Contains(msg, "'t' is NaN in 4 of 6 rows (t.csv:2, t.csv:4, t.csv:5, …)")) << msg;

  Table text = MakeTable({StringColumn("t", {"2024-01-01"})});
  msg = ErrorOf(AssignSplits(spec, text));
  EXPECT_TRUE(Contains(msg, "time column 't' is string; it must be timestamp, int or float"))
      << msg;

  msg = ErrorOf(AssignSplits(TimeSpec({{"train", 1.0}}, "when"), missing));
  EXPECT_TRUE(Contains(msg, "when")) << msg;
}

}  // namespace
}  // namespace citadel::data::split
