#include "serve/prometheus_metrics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <latch>
#include <string>
#include <thread>
#include <vector>

namespace citadel::serve {
namespace {

// The expected texts below are written from the exposition format's rules
// (prometheus.io "Exposition formats", text format 0.0.4): one `# HELP name
// text` and one `# TYPE name type` line per family, `name{labels} value`
// samples, cumulative `_bucket{le="…"}` lines ending with le="+Inf", then
// `_sum` and `_count`; every line ends with \n.

TEST(PromRegistry, RendersASmallRegistryInTheTextFormat) {
  MetricsRegistry registry;
  // Created out of name order: families must come out sorted.
  Gauge& temperature = registry.GetGauge("temperature", "Current temperature.", {});
  Counter& requests = registry.GetCounter("http_requests_total", "Requests served.",
                                          {{"method", "post"}, {"code", "200"}});
  const double bounds[] = {0.125, 0.5};
  Histogram& latency =
      registry.GetHistogram("latency_seconds", "Latency.", {{"model", "m"}}, bounds);

  temperature.Set(-3.5);
  requests.Increment(1000);
  requests.Increment(27);
  // Dyadic values, so the sum is exact: 0.0625 + 0.25 + 0.25 + 2 = 2.5625.
  latency.Observe(0.0625);
  latency.Observe(0.25);
  latency.Observe(0.25);
  latency.Observe(2);

  EXPECT_EQ(registry.Render(),
            "# HELP http_requests_total Requests served.\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{code=\"200\",method=\"post\"} 1027\n"
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{model=\"m\",le=\"0.125\"} 1\n"
            "latency_seconds_bucket{model=\"m\",le=\"0.5\"} 3\n"
            "latency_seconds_bucket{model=\"m\",le=\"+Inf\"} 4\n"
            "latency_seconds_sum{model=\"m\"} 2.5625\n"
            "latency_seconds_count{model=\"m\"} 4\n"
            "# HELP temperature Current temperature.\n"
            "# TYPE temperature gauge\n"
            "temperature -3.5\n");
}

TEST(PromRegistry, RendersAHistogramWithoutLabelsWithOnlyTheLeLabel) {
  MetricsRegistry registry;
  const double bounds[] = {1};
  Histogram& h = registry.GetHistogram("h", "H.", {}, bounds);
  h.Observe(3);
  EXPECT_EQ(registry.Render(),
            "# HELP h H.\n"
            "# TYPE h histogram\n"
            "h_bucket{le=\"1\"} 0\n"
            "h_bucket{le=\"+Inf\"} 1\n"
            "h_sum 3\n"
            "h_count 1\n");
}

TEST(PromRegistry, EscapesLabelValuesAndHelpText) {
  MetricsRegistry registry;
  // Label values escape \ " and newline; HELP escapes only \ and newline.
  registry.GetCounter("c", "line one\nback\\slash \"quoted\"", {{"path", "a\\b\"c\nd"}})
      .Increment();
  EXPECT_EQ(registry.Render(),
            "# HELP c line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE c counter\n"
            "c{path=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(PromRegistry, KeepsSeriesInCreationOrderAndIdentifiesThemBySortedLabels) {
  MetricsRegistry registry;
  Counter& b = registry.GetCounter("calls", "Calls.", {{"model", "b"}, {"code", "1"}});
  Counter& a = registry.GetCounter("calls", "Calls.", {{"model", "a"}, {"code", "1"}});
  // The same label set in another order is the same series.
  Counter& b_again = registry.GetCounter("calls", "Calls.", {{"code", "1"}, {"model", "b"}});
  EXPECT_EQ(&b, &b_again);
  EXPECT_NE(&a, &b);
  b.Increment(2);
  a.Increment(5);
  EXPECT_EQ(registry.Render(),
            "# HELP calls Calls.\n"
            "# TYPE calls counter\n"
            "calls{code=\"1\",model=\"b\"} 2\n"
            "calls{code=\"1\",model=\"a\"} 5\n");
}

TEST(PromRegistry, WritesSpecialAndLargeValuesAsPrometheusParsesThem) {
  MetricsRegistry registry;
  registry.GetGauge("g_inf", "G.", {}).Set(INFINITY);
  registry.GetGauge("g_nan", "G.", {}).Set(NAN);
  registry.GetGauge("g_neg_inf", "G.", {}).Set(-INFINITY);
  registry.GetGauge("g_small", "G.", {}).Set(0.001);
  const std::string text = registry.Render();
  EXPECT_NE(text.find("g_inf +Inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("g_nan NaN\n"), std::string::npos) << text;
  EXPECT_NE(text.find("g_neg_inf -Inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("g_small 0.001\n"), std::string::npos) << text;
}

TEST(PromCounter, IgnoresNegativeAndNaNIncrements) {
  Counter c;
  c.Increment(3);
  c.Increment(-1);
  c.Increment(NAN);
  EXPECT_EQ(c.Value(), 3);
}

TEST(PromGauge, SetsAndAdds) {
  Gauge g;
  g.Set(10);
  g.Add(-2.5);
  EXPECT_EQ(g.Value(), 7.5);
}

TEST(PromRegistry, ConcurrentUpdatesFromSeveralThreadsGiveExactTotals) {
  MetricsRegistry registry;
  const double bounds[] = {1, 2};
  constexpr int kThreads = 8;
  constexpr int kPerThread = 600000;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&registry, &bounds, &start, t] {
      // Every thread looks the series up itself: creation races too.
      Counter& c = registry.GetCounter("ops_total", "Ops.", {{"kind", "x"}});
      Gauge& g = registry.GetGauge("level", "Level.", {});
      Histogram& h = registry.GetHistogram("sizes", "Sizes.", {}, bounds);
      start.arrive_and_wait();  // all update at once, so lost updates would show
      for (int i = 0; i < kPerThread; ++i) {
        c.Increment();
        g.Add(t % 2 == 0 ? 2 : -1);
        h.Observe(static_cast<double>(i % 3));  // 0 and 1 into le=1, 2 into le=2
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(registry.GetCounter("ops_total", "Ops.", {{"kind", "x"}}).Value(),
            kThreads * kPerThread);
  // Four threads add 2, four add -1.
  EXPECT_EQ(registry.GetGauge("level", "Level.", {}).Value(), 4.0 * kPerThread);
  const Histogram::Snapshot s = registry.GetHistogram("sizes", "Sizes.", {}, bounds).Take();
  const uint64_t n = static_cast<uint64_t>(kThreads) * kPerThread;
  EXPECT_EQ(s.count, n);
  // i % 3 over 0..599999: 200000 each of zeros, ones and twos per thread.
  EXPECT_EQ(s.counts, (std::vector<uint64_t>{2 * 200000 * kThreads, 200000 * kThreads, 0}));
  EXPECT_EQ(s.sum, kThreads * (200000.0 * 1 + 200000.0 * 2));
}

TEST(PromRegistry, RendersWhileOtherThreadsRegisterAndUpdate) {
  MetricsRegistry registry;
  std::atomic<bool> stop{false};
  std::atomic<size_t> renders{0};
  std::thread writer([&] {
    for (int i = 0; i < 2000; ++i) {
      // Halfway, until a render has run: on a loaded machine the writer
      // could otherwise finish before the reader's first render.
      while (i == 1000 && renders.load() == 0) std::this_thread::yield();
      registry.GetCounter("requests_total", "Requests.", {{"model", std::to_string(i % 50)}})
          .Increment();
      registry.GetHistogram("latency_seconds", "Latency.", {}, LatencyBucketsSeconds())
          .Observe(i * 1e-4);
    }
    stop = true;
  });
  while (!stop) {
    const std::string text = registry.Render();
    // Whatever moment it caught, the text is whole lines.
    EXPECT_TRUE(text.empty() || text.back() == '\n');
    ++renders;
  }
  writer.join();
  const std::string text = registry.Render();
  EXPECT_NE(text.find("requests_total{model=\"49\"} 40\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_count 2000\n"), std::string::npos);
  EXPECT_GT(renders.load(), 0u);
}

TEST(PromHistogram, CountsAValueOnABoundInThatBucket) {
  const double bounds[] = {1, 2};
  Histogram h(bounds);
  h.Observe(1);    // le="1" is inclusive
  h.Observe(2.5);  // above every bound: +Inf
  h.Observe(NAN);  // ignored
  const Histogram::Snapshot s = h.Take();
  EXPECT_EQ(s.counts, (std::vector<uint64_t>{1, 0, 1}));
  EXPECT_EQ(s.count, 2u);
  EXPECT_EQ(s.sum, 3.5);
}

TEST(PromHistogram, DropsATrailingInfiniteBound) {
  const double bounds[] = {1, INFINITY};
  Histogram h(bounds);
  EXPECT_EQ(h.Take().counts.size(), 2u);  // le=1 and +Inf, not two +Inf buckets
}

Histogram::Snapshot MakeSnapshot(std::vector<double> bounds, std::vector<uint64_t> counts) {
  Histogram::Snapshot s;
  s.upper_bounds = std::move(bounds);
  s.counts = std::move(counts);
  for (uint64_t c : s.counts) s.count += c;
  return s;
}

// Expected values worked out by histogram_quantile's rule: rank = q·count;
// the first bucket whose cumulative count reaches the rank; interpolate
// from the previous bound (0 for the first bucket) to this one by
// (rank − count below) / count in bucket.
TEST(PromQuantile, InterpolatesInsideTheBucketLikeHistogramQuantile) {
  // Buckets (0,1]: 10, (1,2]: 20, (2,4]: 10, +Inf: 0.
  const Histogram::Snapshot s = MakeSnapshot({1, 2, 4}, {10, 20, 10, 0});
  EXPECT_DOUBLE_EQ(s.Quantile(0.25), 1.0);  // rank 10: end of the first bucket
  EXPECT_DOUBLE_EQ(s.Quantile(0.5), 1.5);   // rank 20: 1 + 1·(20−10)/20
  EXPECT_DOUBLE_EQ(s.Quantile(0.9), 3.2);   // rank 36: 2 + 2·(36−30)/10
  EXPECT_DOUBLE_EQ(s.Quantile(0.1), 0.4);   // rank 4: 0 + 1·4/10
  EXPECT_DOUBLE_EQ(s.Quantile(1.0), 4.0);
}

TEST(PromQuantile, MatchesObservationsMadeThroughTheHistogram) {
  const double bounds[] = {1, 2, 4};
  Histogram h(bounds);
  for (int i = 0; i < 10; ++i) h.Observe(0.5);
  for (int i = 0; i < 20; ++i) h.Observe(1.5);
  for (int i = 0; i < 10; ++i) h.Observe(3);
  EXPECT_DOUBLE_EQ(h.Take().Quantile(0.9), 3.2);
}

TEST(PromQuantile, HandlesEmptyInfiniteAndOutOfRangeCases) {
  EXPECT_TRUE(std::isnan(MakeSnapshot({1, 2}, {0, 0, 0}).Quantile(0.99)));  // empty
  EXPECT_TRUE(std::isnan(MakeSnapshot({}, {7}).Quantile(0.5)));             // no finite bound
  // Everything above the last bound: the largest finite bound.
  EXPECT_EQ(MakeSnapshot({1, 2}, {0, 0, 5}).Quantile(0.5), 2.0);
  // Rank 99 of 100 lands in +Inf when only 98 are finite.
  EXPECT_EQ(MakeSnapshot({1, 2}, {50, 48, 2}).Quantile(0.99), 2.0);
  EXPECT_EQ(MakeSnapshot({1}, {1, 0}).Quantile(-0.1), -INFINITY);
  EXPECT_EQ(MakeSnapshot({1}, {1, 0}).Quantile(1.1), INFINITY);
  EXPECT_TRUE(std::isnan(MakeSnapshot({1}, {1, 0}).Quantile(NAN)));
  // A first bucket with a bound <= 0 has no lower edge: its bound answers.
  EXPECT_EQ(MakeSnapshot({-1, 1}, {4, 4, 0}).Quantile(0.25), -1.0);
  // q = 0: the lower edge of the first non-empty bucket.
  EXPECT_EQ(MakeSnapshot({1, 2, 4}, {0, 5, 5, 0}).Quantile(0), 1.0);
}

TEST(PromQuantile, MinusGivesTheWindowBetweenTwoSnapshots) {
  const double bounds[] = {0.001, 0.01, 0.1};
  Histogram h(bounds);
  // Before the window: fast requests.
  for (int i = 0; i < 1000; ++i) h.Observe(0.0005);
  const Histogram::Snapshot before = h.Take();
  // In the window: 100 slow ones.
  for (int i = 0; i < 100; ++i) h.Observe(0.05);
  const Histogram::Snapshot after = h.Take();

  const Histogram::Snapshot window = after.Minus(before);
  EXPECT_EQ(window.counts, (std::vector<uint64_t>{0, 0, 100, 0}));
  EXPECT_EQ(window.count, 100u);
  EXPECT_NEAR(window.sum, 100 * 0.05, 1e-9);
  // All 100 in (0.01, 0.1]: p50 = 0.01 + 0.09·50/100.
  EXPECT_DOUBLE_EQ(window.Quantile(0.5), 0.055);
  // Over the whole life the p50 is still a fast request: 0.001·550/1000.
  EXPECT_DOUBLE_EQ(after.Quantile(0.5), 0.00055);
}

TEST(PromQuantile, MinusOfMismatchedSnapshotsInventsNothing) {
  const Histogram::Snapshot a = MakeSnapshot({1, 2}, {1, 2, 3});
  const Histogram::Snapshot other_bounds = MakeSnapshot({1, 3}, {1, 1, 1});
  const Histogram::Snapshot w = a.Minus(other_bounds);
  EXPECT_EQ(w.counts, a.counts);
  // A later snapshot "minus" a larger one clamps at zero.
  const Histogram::Snapshot larger = MakeSnapshot({1, 2}, {5, 0, 3});
  EXPECT_EQ(a.Minus(larger).counts, (std::vector<uint64_t>{0, 2, 0}));
  EXPECT_EQ(a.Minus(larger).count, 2u);
}

TEST(PromLatencyBuckets, SpanFiftyMicrosecondsToTenSecondsInSmallSteps) {
  const std::span<const double> b = LatencyBucketsSeconds();
  ASSERT_FALSE(b.empty());
  EXPECT_DOUBLE_EQ(b.front(), 50e-6);
  EXPECT_DOUBLE_EQ(b.back(), 10);
  for (size_t i = 1; i < b.size(); ++i) {
    EXPECT_GT(b[i], b[i - 1]);
    EXPECT_LE(b[i] / b[i - 1], 2.5 + 1e-9) << i;
  }
}

TEST(PromRegistryDeathTest, RejectsInvalidNamesAndConflictingRegistrations) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  MetricsRegistry registry;
  registry.GetCounter("requests_total", "Requests.", {});
  const double bounds[] = {1, 2};
  const double unsorted[] = {2, 1};
  EXPECT_DEATH(registry.GetCounter("1requests", "x", {}), "metric name '1requests'");
  EXPECT_DEATH(registry.GetCounter("a-b", "x", {}), "metric name 'a-b'");
  EXPECT_DEATH(registry.GetCounter("ok", "x", {{"bad-label", "v"}}), "label name 'bad-label'");
  EXPECT_DEATH(registry.GetCounter("ok", "x", {{"a:b", "v"}}), "label name 'a:b'");
  EXPECT_DEATH(registry.GetCounter("ok", "x", {{"__name", "v"}}), "label name '__name'");
  EXPECT_DEATH(registry.GetCounter("ok", "x", {{"a", "1"}, {"a", "2"}}), "label 'a' given twice");
  EXPECT_DEATH(registry.GetGauge("requests_total", "Requests.", {}),
               "requests_total is a counter, asked for as a gauge");
  EXPECT_DEATH(registry.GetCounter("requests_total", "Other help.", {}), "registered with help");
  EXPECT_DEATH(registry.GetHistogram("h", "H.", {{"le", "1"}}, bounds), "'le'");
  EXPECT_DEATH(registry.GetHistogram("h", "H.", {}, unsorted), "strictly increasing");
  registry.GetHistogram("h2", "H.", {}, bounds);
  EXPECT_DEATH(registry.GetHistogram("h2", "H.", {}, unsorted), "other bucket bounds");
  // Colons are fine in metric names (recording rules use them).
  registry.GetCounter("job:requests:rate5m", "x", {});
}

}  // namespace
}  // namespace citadel::serve
