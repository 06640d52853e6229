#include "loadgen/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace citadel::loadgen {

int LatencyHistogram::IndexOf(uint64_t value) {
  if (value < kSubBuckets) return static_cast<int>(value);
  const int magnitude = std::bit_width(value) - 1;  // >= kSubBucketBits
  const int shift = magnitude - kSubBucketBits;
  return (shift + 1) * kSubBuckets + static_cast<int>((value >> shift) - kSubBuckets);
}

int64_t LatencyHistogram::ValueOf(int index) {
  if (index < kSubBuckets) return index;
  const int shift = index / kSubBuckets - 1;
  const int64_t low = static_cast<int64_t>(index % kSubBuckets + kSubBuckets) << shift;
  return low + ((int64_t{1} << shift) - 1) / 2;
}

void LatencyHistogram::Record(int64_t nanos) {
  const uint64_t value = std::clamp<int64_t>(nanos, 0, (int64_t{1} << kMaxBits) - 1);
  ++counts_[IndexOf(value)];
  if (count_ == 0 || nanos < min_) min_ = nanos;
  if (count_ == 0 || nanos > max_) max_ = nanos;
  ++count_;
  sum_ += nanos;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = count_ == 0 ? other.max_ : std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

int64_t LatencyHistogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  const double clamped = std::clamp(q, 0.0, 1.0);
  const uint64_t rank = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(clamped * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(ValueOf(i), min_, max_);
  }
  return max_;
}

}  // namespace citadel::loadgen
