// Prometheus metrics for the inference server: counters, gauges and
// histograms grouped in families, rendered in the text exposition format
// 0.0.4 (`GET /metrics`). Updates are lock-free atomics, so the hot path
// (one Observe per request) costs a few nanoseconds; the registry's mutex
// is taken only to create or look up a series and to render.
//
// Histogram snapshots also feed the canary rollout: the difference of two
// snapshots is a window, and its Quantile is the window's latency
// percentile, interpolated exactly like PromQL's histogram_quantile.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace citadel::serve {

// Label name → value pairs of one series. Order does not matter: a series is
// identified, and rendered, by its labels sorted by name.
using Labels = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing total. Thread-safe, lock-free.
class Counter {
 public:
  // `by` must be >= 0: a counter never goes down. Negative or NaN
  // increments are ignored (they would corrupt every rate() over it).
  void Increment(double by = 1);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down. Thread-safe, lock-free.
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Counts observations into fixed buckets (Prometheus `le` semantics: bucket
// i counts values <= upper_bounds[i]; a last, implicit bucket counts the
// rest, +Inf). Thread-safe; Observe is lock-free.
class Histogram {
 public:
  // `upper_bounds`: finite, strictly increasing (a trailing +Inf is allowed
  // and dropped: the +Inf bucket always exists). Checked by the registry.
  explicit Histogram(std::span<const double> upper_bounds);

  // NaN is ignored: it would turn _sum into NaN for the process's lifetime.
  void Observe(double value);

  struct Snapshot {
    std::vector<double> upper_bounds;  // finite bounds, without +Inf
    std::vector<uint64_t> counts;      // per bucket, not cumulative; last = +Inf bucket
    double sum = 0;
    uint64_t count = 0;  // always the sum of `counts`

    // The q-quantile (0 <= q <= 1) by PromQL histogram_quantile's rule: find
    // the bucket where the rank q*count falls and interpolate linearly
    // inside it, taking the lowest bucket to start at 0 (unless its bound is
    // <= 0, then that bound is the answer). Special cases:
    //   - no observations, or no finite bound: NaN (as PromQL; NaN compares
    //     false with every threshold, so callers must test it: std::isnan);
    //   - the rank falls in the +Inf bucket: the largest finite bound;
    //   - q < 0: -Inf, q > 1: +Inf, q NaN: NaN;
    //   - q == 0: the lower edge of the first non-empty bucket (PromQL
    //     yields NaN when the first bucket is empty; an edge is more useful).
    double Quantile(double q) const;

    // The observations made between `earlier` and this snapshot (same
    // histogram, `earlier` taken first). Counts that would go negative (a
    // mismatched pair) clamp to 0, and mismatched bounds give `*this`
    // unchanged: a window is never invented from unrelated histograms.
    Snapshot Minus(const Snapshot& earlier) const;
  };

  // A copy of the current state. Bucket counts are read one by one while
  // other threads may observe, so `sum` can lag or lead the counts by the
  // observations in flight; `count` is derived from the buckets and always
  // agrees with them.
  Snapshot Take() const;

  std::span<const double> upper_bounds() const { return upper_bounds_; }

 private:
  std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // upper_bounds_.size() + 1
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds for a server answering in microseconds to
// seconds: 50µs … 10s in 1-2-5 steps (×2 or ×2.5), 17 bounds. A p99 read
// from them is exact to within the width of the bucket it falls in.
std::span<const double> LatencyBucketsSeconds();

// Families of metrics by name. Thread-safe: any thread may create series,
// update them and render concurrently.
//
// Naming mistakes are programming errors, found the first time the code
// runs, so the Get* functions abort with a message (like the Go client's
// MustRegister) rather than burden every call site with a Result: an
// invalid metric name (not [a-zA-Z_:][a-zA-Z0-9_:]*), an invalid or
// repeated label name (not [a-zA-Z_][a-zA-Z0-9_]*, or starting with "__"
// which Prometheus reserves; "le" on a histogram), a name registered again
// with another type or help text, a histogram series asked for with other
// bounds than its family's, or bounds that are not finite and increasing.
// Label *values* may be anything (they are escaped), so runtime data such
// as model names is safe to use there.
class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // The series of family `name` with `labels`, created on first use. The
  // returned reference stays valid for the registry's life: look it up once
  // and keep it, the lookup takes a lock.
  Counter& GetCounter(std::string_view name, std::string_view help, const Labels& labels);
  Gauge& GetGauge(std::string_view name, std::string_view help, const Labels& labels);
  Histogram& GetHistogram(std::string_view name, std::string_view help, const Labels& labels,
                          std::span<const double> upper_bounds);

  // Text exposition format 0.0.4: families sorted by name, each with
  // # HELP and # TYPE, series in creation order; histograms as cumulative
  // _bucket{le=…} lines ending with le="+Inf", then _sum and _count.
  std::string Render() const;

  // The Content-Type a /metrics answer carries.
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series;
  struct Family;

  static std::string_view TypeName(Type type);
  Series& FindOrCreate(std::string_view name, std::string_view help, Type type,
                       const Labels& labels, std::span<const double> upper_bounds);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;  // guarded by mu_
};

}  // namespace citadel::serve
