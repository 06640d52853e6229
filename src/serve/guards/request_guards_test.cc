#include "serve/guards/request_guards.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/text/base64.h"
#include "base/text/yaml.h"

namespace citadel::serve {
namespace {

using Row = std::vector<std::pair<int, float>>;

// --- API tokens -------------------------------------------------------------

TEST(GuardTokens, HaveThePrefixAnd43Base64UrlCharacters) {
  NewToken t = GenerateToken();
  ASSERT_EQ(t.secret.size(), 47u);
  EXPECT_TRUE(t.secret.starts_with("cit_"));
  for (char c : t.secret.substr(4)) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << c;
  }
  EXPECT_TRUE(IsWellFormedToken(t.secret));
  // Back to padded standard base64: exactly 32 random bytes.
  std::string standard = t.secret.substr(4) + "=";
  for (char& c : standard) c = c == '-' ? '+' : c == '_' ? '/' : c;
  auto bytes = Base64Decode(standard);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(bytes->size(), 32u);
}

TEST(GuardTokens, IdIsTheFirst12HexDigitsOfTheHash) {
  NewToken t = GenerateToken();
  ASSERT_EQ(t.id.size(), 12u);
  EXPECT_EQ(t.id, HashToken(t.secret).substr(7, 12));
  EXPECT_EQ(TokenId(t.secret), t.id);
}

TEST(GuardTokens, AreUnique) {
  std::set<std::string> secrets, ids;
  for (int i = 0; i < 1000; ++i) {
    NewToken t = GenerateToken();
    secrets.insert(t.secret);
    ids.insert(t.id);
  }
  EXPECT_EQ(secrets.size(), 1000u);
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(GuardTokens, HashIsPrefixedSha256Hex) {
  EXPECT_EQ(HashToken("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(GuardTokens, MatchOnlyTheirOwnHash) {
  NewToken a = GenerateToken(), b = GenerateToken();
  std::string stored = HashToken(a.secret);
  EXPECT_TRUE(TokenMatchesHash(a.secret, stored));
  EXPECT_FALSE(TokenMatchesHash(b.secret, stored));
  EXPECT_FALSE(TokenMatchesHash(a.secret, stored.substr(0, stored.size() - 1)));
  EXPECT_FALSE(TokenMatchesHash(a.secret, ""));
}

TEST(GuardTokens, ConstantTimeEqualsComparesWholeValues) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("same bytes", "same bytes"));
  EXPECT_FALSE(ConstantTimeEquals("same bytes", "same bytez"));
  EXPECT_FALSE(ConstantTimeEquals("Xame bytes", "same bytes"));
  EXPECT_FALSE(ConstantTimeEquals("short", "shorter"));
}

TEST(GuardTokens, MalformedTokensAreRecognised) {
  std::string good = GenerateToken().secret;
  EXPECT_FALSE(IsWellFormedToken(""));
  EXPECT_FALSE(IsWellFormedToken("tok_" + good.substr(4)));
  EXPECT_FALSE(IsWellFormedToken(good.substr(0, 46)));
  EXPECT_FALSE(IsWellFormedToken(good + "A"));
  std::string plus = good;
  plus[10] = '+';
  EXPECT_FALSE(IsWellFormedToken(plus));
  // The last character carries 4 bits; 'B' (1) sets one of the 2 unused ones.
  std::string noncanonical = good;
  noncanonical.back() = 'B';
  EXPECT_FALSE(IsWellFormedToken(noncanonical));
  noncanonical.back() = 'E';
  EXPECT_TRUE(IsWellFormedToken(noncanonical));
}

// --- Rate limits ------------------------------------------------------------

TEST(GuardRateLimiter, AllowsABurstThenRefillsAtTheRate) {
  RateLimiter limiter(2, 5);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Allow("k", 0)) << i;
  EXPECT_FALSE(limiter.Allow("k", 0));
  EXPECT_FALSE(limiter.Allow("k", 0.25));  // half a token
  EXPECT_TRUE(limiter.Allow("k", 0.5));    // 0.25 s more: one whole token
  EXPECT_FALSE(limiter.Allow("k", 0.5));
  // A long idle refills to burst, not beyond.
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Allow("k", 100)) << i;
  EXPECT_FALSE(limiter.Allow("k", 100));
}

TEST(GuardRateLimiter, RefillArithmeticDoesNotLoseATokenToRounding) {
  RateLimiter limiter(10, 1);  // 0.1 s × 10/s is not exactly 1 in binary
  EXPECT_TRUE(limiter.Allow("k", 0));
  EXPECT_FALSE(limiter.Allow("k", 0.05));
  for (int i = 1; i <= 20; ++i) EXPECT_TRUE(limiter.Allow("k", 0.1 * i)) << i;
}

TEST(GuardRateLimiter, RetryAfterSaysWhenTheNextRequestFits) {
  RateLimiter limiter(4, 2);
  EXPECT_DOUBLE_EQ(limiter.RetryAfterSeconds("unknown", 0), 0);
  EXPECT_TRUE(limiter.Allow("k", 0, 2));
  EXPECT_DOUBLE_EQ(limiter.RetryAfterSeconds("k", 0), 0.25);
  EXPECT_DOUBLE_EQ(limiter.RetryAfterSeconds("k", 0, 2), 0.5);
  EXPECT_DOUBLE_EQ(limiter.RetryAfterSeconds("k", 0.125), 0.125);
  EXPECT_DOUBLE_EQ(limiter.RetryAfterSeconds("k", 0.25), 0);
  EXPECT_EQ(limiter.RetryAfterSeconds("k", 0, 3), std::numeric_limits<double>::infinity());
}

TEST(GuardRateLimiter, CostTakesSeveralTokensAndAboveBurstNeverPasses) {
  RateLimiter limiter(1, 10);
  EXPECT_FALSE(limiter.Allow("k", 0, 11));
  EXPECT_TRUE(limiter.Allow("k", 0, 7));
  EXPECT_FALSE(limiter.Allow("k", 0, 4));  // refused: takes nothing
  EXPECT_TRUE(limiter.Allow("k", 0, 3));
  EXPECT_FALSE(limiter.Allow("k", 0, 1));
}

TEST(GuardRateLimiter, KeysHaveSeparateBuckets) {
  RateLimiter limiter(1, 1);
  EXPECT_TRUE(limiter.Allow("a", 0));
  EXPECT_FALSE(limiter.Allow("a", 0));
  EXPECT_TRUE(limiter.Allow("b", 0));
}

TEST(GuardRateLimiter, AnEarlierClockReadingAddsNoTokens) {
  RateLimiter limiter(2, 1);
  EXPECT_TRUE(limiter.Allow("k", 10));
  EXPECT_FALSE(limiter.Allow("k", 5));
  EXPECT_FALSE(limiter.Allow("k", 10.25));  // measured from 10, not from 5
  EXPECT_TRUE(limiter.Allow("k", 10.5));
}

TEST(GuardRateLimiter, ForgetsTheKeyIdleTheLongestWhenFull) {
  RateLimiter limiter(1, 1, 3);
  EXPECT_TRUE(limiter.Allow("a", 0));
  EXPECT_TRUE(limiter.Allow("b", 0));
  EXPECT_TRUE(limiter.Allow("c", 0));
  EXPECT_FALSE(limiter.Allow("a", 0));  // a is now the most recent
  EXPECT_TRUE(limiter.Allow("d", 0));   // evicts b
  EXPECT_EQ(limiter.size(), 3u);
  EXPECT_FALSE(limiter.Allow("a", 0));  // still remembered, still empty
  EXPECT_TRUE(limiter.Allow("b", 0));   // forgotten: a full bucket again
}

TEST(GuardRateLimiter, MemoryStaysBoundedUnderManyKeys) {
  RateLimiter limiter(1, 1, 100);
  for (int i = 0; i < 10000; ++i) EXPECT_TRUE(limiter.Allow(fmt::format("key-{}", i), i));
  EXPECT_EQ(limiter.size(), 100u);
}

TEST(GuardRateLimiter, ConcurrentCallersShareOneBurstExactly) {
  RateLimiter limiter(1, 100);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) allowed += limiter.Allow("shared", 0) ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 100);
}

// --- Query budgets ----------------------------------------------------------

TEST(GuardQueryBudget, RefusesTheChargeThatWouldPassTheLimit) {
  QueryBudget budget(100, 60);  // slots of 1 s
  EXPECT_TRUE(budget.Charge("tok", 60, 0).ok());
  EXPECT_TRUE(budget.Charge("tok", 40, 1).ok());
  Status s = budget.Charge("tok", 1, 2);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(),
            "query budget exhausted for 'tok': 100 of 100 rows used in the last 60 s and this "
            "request asks for 1; enough frees up in 58 s");
  EXPECT_EQ(budget.Used("tok", 2), 100);  // the refused charge cost nothing
}

TEST(GuardQueryBudget, RecoversAsTheWindowMovesOn) {
  QueryBudget budget(100, 60);
  ASSERT_TRUE(budget.Charge("tok", 60, 0).ok());
  ASSERT_TRUE(budget.Charge("tok", 40, 1).ok());
  EXPECT_EQ(budget.Used("tok", 59.5), 100);
  EXPECT_EQ(budget.Used("tok", 60), 40);  // the rows of second 0 left the window
  EXPECT_FALSE(budget.Charge("tok", 61, 60).ok());
  EXPECT_TRUE(budget.Charge("tok", 60, 60).ok());
  EXPECT_EQ(budget.Used("tok", 61), 60);
  EXPECT_EQ(budget.Used("tok", 1000), 0);
  EXPECT_TRUE(budget.Charge("tok", 100, 1000).ok());
}

TEST(GuardQueryBudget, ARequestLargerThanTheWholeBudgetIsRefusedOutright) {
  QueryBudget budget(10000, 3600);
  Status s = budget.Charge("tok", 10001, 0);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(),
            "query budget for 'tok': a request of 10001 rows exceeds the whole budget of 10000 "
            "rows per 3600 s; send fewer rows per request");
  EXPECT_EQ(budget.Charge("tok", -1, 0).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(budget.Used("tok", 0), 0);
}

TEST(GuardQueryBudget, KeysHaveSeparateBudgets) {
  QueryBudget budget(10, 60);
  EXPECT_TRUE(budget.Charge("a", 10, 0).ok());
  EXPECT_FALSE(budget.Charge("a", 1, 0).ok());
  EXPECT_TRUE(budget.Charge("b", 10, 0).ok());
  EXPECT_EQ(budget.Used("never-seen", 0), 0);
}

TEST(GuardQueryBudget, AnEarlierClockReadingChargesTheNewestSlot) {
  QueryBudget budget(100, 60);
  ASSERT_TRUE(budget.Charge("tok", 10, 30).ok());
  ASSERT_TRUE(budget.Charge("tok", 10, 10).ok());
  EXPECT_EQ(budget.Used("tok", 30), 20);
  EXPECT_EQ(budget.Used("tok", 89.9), 20);
  EXPECT_EQ(budget.Used("tok", 90), 0);
}

TEST(GuardQueryBudget, NeverGrantsMoreThanTheLimitInAnyGuaranteedSpan) {
  // One row every 0.5 s against 100 rows per 60 s, for 10 minutes.
  QueryBudget budget(100, 60);
  std::vector<double> granted;
  for (int i = 0; i < 1200; ++i) {
    double now = 0.5 * i;
    if (budget.Charge("tok", 1, now).ok()) granted.push_back(now);
  }
  const double span = 60.0 * (QueryBudget::kSlots - 1) / QueryBudget::kSlots;
  for (size_t i = 0; i < granted.size(); ++i) {
    size_t in_span = 0;
    for (size_t j = i; j < granted.size() && granted[j] < granted[i] + span; ++j) ++in_span;
    ASSERT_LE(in_span, 100u) << "span starting at " << granted[i];
  }
  // And close to the limit over the long run: ~100 per 60 s.
  EXPECT_GE(granted.size(), 950u);
  EXPECT_LE(granted.size(), 1100u);
}

TEST(GuardQueryBudget, ConcurrentChargesSumExactly) {
  QueryBudget budget(1'000'000'000, 3600);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) ASSERT_TRUE(budget.Charge("shared", 3, 1).ok());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(budget.Used("shared", 1), 8 * 1000 * 3);
}

TEST(GuardQueryBudget, ConcurrentChargesStopExactlyAtTheLimit) {
  QueryBudget budget(5000, 3600);
  std::atomic<int64_t> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) granted += budget.Charge("shared", 1, 1).ok() ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(granted.load(), 5000);
  EXPECT_EQ(budget.Used("shared", 1), 5000);
}

TEST(GuardQueryBudget, MemoryStaysBoundedUnderManyKeys) {
  QueryBudget budget(10, 60, 10);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(budget.Charge(fmt::format("key-{}", i), 1, 0).ok());
  EXPECT_EQ(budget.size(), 10u);
  EXPECT_EQ(budget.Used("key-999", 0), 1);
  EXPECT_EQ(budget.Used("key-0", 0), 0);  // forgotten
}

// --- Output hardening -------------------------------------------------------

TEST(GuardOutputHardening, KeepsTheTopKByProbability) {
  std::vector<float> probs = {0.1f, 0.6f, 0.3f,  //
                              0.7f, 0.2f, 0.1f};
  auto out = HardenOutputs(probs, 2, 3, {.top_k = 2});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], (Row{{1, 0.6f}, {2, 0.3f}}));
  EXPECT_EQ(out[1], (Row{{0, 0.7f}, {1, 0.2f}}));
}

TEST(GuardOutputHardening, DefaultsReturnEveryClassExactly) {
  std::vector<float> probs = {0.123456f, 0.5f, 0.376544f};
  auto out = HardenOutputs(probs, 1, 3, {});
  EXPECT_EQ(out[0], (Row{{1, 0.5f}, {2, 0.376544f}, {0, 0.123456f}}));
}

TEST(GuardOutputHardening, RoundsToDecimals) {
  std::vector<float> probs = {0.123456f, 0.876544f};
  EXPECT_EQ(HardenOutputs(probs, 1, 2, {.decimals = 2})[0], (Row{{1, 0.88f}, {0, 0.12f}}));
  EXPECT_EQ(HardenOutputs(probs, 1, 2, {.decimals = 0})[0], (Row{{1, 1.0f}, {0, 0.0f}}));
}

TEST(GuardOutputHardening, RoundedTinyNegativesAreZeroNotMinusZero) {
  std::vector<float> probs = {1.0f, -1e-9f};
  auto out = HardenOutputs(probs, 1, 2, {.decimals = 3});
  EXPECT_EQ(out[0][1].second, 0.0f);
  EXPECT_FALSE(std::signbit(out[0][1].second));
}

TEST(GuardOutputHardening, TiesGoToTheLowerClassIndex) {
  std::vector<float> probs = {0.25f, 0.25f, 0.5f, 0.0f};
  EXPECT_EQ(HardenOutputs(probs, 1, 4, {})[0], (Row{{2, 0.5f}, {0, 0.25f}, {1, 0.25f}, {3, 0.0f}}));
  EXPECT_EQ(HardenOutputs(probs, 1, 4, {.top_k = 2})[0], (Row{{2, 0.5f}, {0, 0.25f}}));
}

TEST(GuardOutputHardening, RoundingNeverDisplacesTheTop1) {
  // All three round to 0.33; the order stays that of the exact values.
  std::vector<float> probs = {0.3331f, 0.3334f, 0.3335f};
  EXPECT_EQ(HardenOutputs(probs, 1, 3, {.decimals = 2})[0],
            (Row{{2, 0.33f}, {1, 0.33f}, {0, 0.33f}}));
}

TEST(GuardOutputHardening, TopKAboveTheClassCountKeepsAll) {
  std::vector<float> probs = {0.2f, 0.8f};
  EXPECT_EQ(HardenOutputs(probs, 1, 2, {.top_k = 10})[0], (Row{{1, 0.8f}, {0, 0.2f}}));
}

TEST(GuardOutputHardening, NanSortsLast) {
  std::vector<float> probs = {std::nanf(""), 0.1f, 0.9f};
  auto out = HardenOutputs(probs, 1, 3, {.decimals = 1});
  ASSERT_EQ(out[0].size(), 3u);
  EXPECT_EQ(out[0][0], (std::pair<int, float>{2, 0.9f}));
  EXPECT_EQ(out[0][1], (std::pair<int, float>{1, 0.1f}));
  EXPECT_EQ(out[0][2].first, 0);
  EXPECT_TRUE(std::isnan(out[0][2].second));
}

TEST(GuardOutputHardening, EmptyAndShortInputs) {
  EXPECT_TRUE(HardenOutputs({}, 0, 3, {.top_k = 1}).empty());
  auto no_classes = HardenOutputs({}, 2, 0, {});
  ASSERT_EQ(no_classes.size(), 2u);
  EXPECT_TRUE(no_classes[0].empty());
  std::vector<float> probs = {0.5f, 0.5f, 0.9f};  // one whole row of 2, half a row
  EXPECT_EQ(HardenOutputs(probs, 2, 2, {}).size(), 1u);
}

TEST(GuardOutputHardening, ParsesAndNamesBadFields) {
  auto h = ParseOutputHardening(Json::parse(R"({"top_k": 3, "decimals": 2})"), "output");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(*h, (OutputHardening{.top_k = 3, .decimals = 2}));
  auto defaults = ParseOutputHardening(Json::object(), "output");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(*defaults, OutputHardening{});

  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {R"({"top_k": -1})", "output: top_k: expected an integer in [0, 1000000], got '-1'"},
      {R"({"top_k": "3"})", "output: top_k: expected an integer in [0, 1000000], got '3'"},
      {R"({"decimals": 7})", "output: decimals: expected an integer in [-1, 6], got '7'"},
      {R"({"decimals": 1.5})", "output: decimals: expected an integer in [-1, 6], got '1.5'"},
      {R"({"topk": 3})", "output: topk: unknown field 'topk' (known fields: top_k, decimals)"},
      {R"(3)", "output: (top level): expected a mapping, got '3'"},
  };
  for (const Case& c : cases) {
    auto p = ParseOutputHardening(Json::parse(c.json), "output");
    ASSERT_FALSE(p.ok()) << c.json;
    EXPECT_EQ(p.status().message(), c.message) << c.json;
  }
}

TEST(GuardOutputHardening, ErrorsFromASpecNameFileAndLine) {
  auto doc =
      ParseYaml("deployments:\n  - endpoint: iris\n    output:\n      top_k: many\n", "serve.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status();
  auto h = ParseOutputHardening(SpecReader(*doc, "/deployments/0/output"));
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().message(),
            "serve.yaml:4: deployments/0/output/top_k: expected an integer in [0, 1000000], got "
            "'many'");
}

// --- Request limits ---------------------------------------------------------

TEST(GuardRequestLimits, ReadsBytesOrSizesAndKeepsDefaults) {
  auto l =
      ParseRequestLimits(Json::parse(R"({"max_body_bytes": "16MiB", "max_rows": 100})"), "limits");
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->max_body_bytes, 16 << 20);
  EXPECT_EQ(l->max_rows, 100);
  auto bytes = ParseRequestLimits(Json::parse(R"({"max_body_bytes": 65536})"), "limits");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(bytes->max_body_bytes, 65536);
  EXPECT_EQ(bytes->max_rows, 4096);
  auto defaults = ParseRequestLimits(Json::object(), "limits");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(*defaults, RequestLimits{});
}

TEST(GuardRequestLimits, NamesBadFields) {
  struct Case {
    const char* json;
    const char* message;
  };
  const char* kSize =
      "limits: max_body_bytes: expected a size from 1 KiB to 1 GiB (bytes, or a string such as "
      "'16MiB'), got ";
  const Case cases[] = {
      {R"({"max_body_bytes": 100})", "'100'"},     {R"({"max_body_bytes": "2GiB"})", "'2GiB'"},
      {R"({"max_body_bytes": "lots"})", "'lots'"}, {R"({"max_body_bytes": 1.5e6})", "'1500000.0'"},
      {R"({"max_body_bytes": -4096})", "'-4096'"},
  };
  for (const Case& c : cases) {
    auto l = ParseRequestLimits(Json::parse(c.json), "limits");
    ASSERT_FALSE(l.ok()) << c.json;
    EXPECT_EQ(l.status().message(), std::string(kSize) + c.message) << c.json;
  }
  auto rows = ParseRequestLimits(Json::parse(R"({"max_rows": 0})"), "limits");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().message(),
            "limits: max_rows: expected an integer in [1, 1000000], got '0'");
  auto unknown = ParseRequestLimits(Json::parse(R"({"max_body": 10})"), "limits");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(),
            "limits: max_body: unknown field 'max_body' (known fields: max_body_bytes, max_rows)");
}

}  // namespace
}  // namespace citadel::serve
