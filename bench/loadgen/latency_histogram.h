// A log-linear latency histogram in the manner of HdrHistogram: fixed
// memory (35 KiB) whatever the run length, exact below 128 ns and within
// 0.4% above (each power of two is split into 128 equal buckets; a bucket
// reports its midpoint). Count, sum, min and max are exact.
//
// Not thread-safe: one histogram per load-generator thread, merged at the end.
#pragma once

#include <array>
#include <cstdint>

namespace citadel::loadgen {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr int kMaxBits = 40;  // values are clamped below 2^40 ns (18 min)

  void Record(int64_t nanos);
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  int64_t min() const { return count_ == 0 ? 0 : min_; }
  int64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }

  // The value at quantile q in [0, 1] (0.5 = median, 0.999 = p99.9): the
  // smallest recorded value with at least q·count values at or below it,
  // to the bucket's precision; 0 when empty.
  int64_t Quantile(double q) const;

 private:
  static constexpr int kSubBuckets = 1 << kSubBucketBits;
  static constexpr int kBuckets = (kMaxBits - kSubBucketBits + 1) * kSubBuckets;

  static int IndexOf(uint64_t value);
  // The midpoint of bucket `index`.
  static int64_t ValueOf(int index);

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  int64_t sum_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
};

}  // namespace citadel::loadgen
