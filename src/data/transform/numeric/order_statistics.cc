#include "data/transform/numeric/order_statistics.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <utility>

namespace citadel::data {
namespace {

// Below this size a comparison sort beats counting and the radix passes'
// fixed costs.
constexpr size_t kRadixMinSize = 512;
constexpr int kDigitBits = 11;
constexpr int kDigits = (64 + kDigitBits - 1) / kDigitBits;  // 6
constexpr size_t kBuckets = size_t{1} << kDigitBits;
constexpr uint64_t kSignBit = uint64_t{1} << 63;

// Maps a double to an unsigned key with the same ascending order: negative
// numbers have all bits flipped (larger magnitude → smaller key), others
// only the sign bit set.
uint64_t OrderedKey(double x) {
  const uint64_t u = std::bit_cast<uint64_t>(x);
  return (u & kSignBit) != 0 ? ~u : u | kSignBit;
}

double FromOrderedKey(uint64_t k) {
  return std::bit_cast<double>((k & kSignBit) != 0 ? k & ~kSignBit : ~k);
}

// Places the ascending order statistics of positions `pos` (sorted, unique,
// each in [base, base + size)) of the range [first, last), whose elements
// all lie between those left and right of it.
void SelectPositions(double* first, double* last, size_t base, std::span<const size_t> pos) {
  if (pos.empty()) return;
  const size_t size = static_cast<size_t>(last - first);
  if (pos.size() == 1 && pos[0] == base) {  // the minimum: one scan, no partition
    std::iter_swap(first, std::min_element(first, last));
    return;
  }
  if (pos.size() == 1 && pos[0] == base + size - 1) {
    std::iter_swap(last - 1, std::max_element(first, last));
    return;
  }
  const size_t mid = pos.size() / 2;
  double* nth = first + (pos[mid] - base);
  std::nth_element(first, nth, last);
  SelectPositions(first, nth, base, pos.first(mid));
  SelectPositions(nth + 1, last, pos[mid] + 1, pos.subspan(mid + 1));
}

// Sorts `values` by counting when they hold at most kMaxDistinct bit
// patterns (one-hot and flag columns, small integer codes); false, leaving
// them as they are, otherwise. Same order as the radix sort.
bool SortFewDistinct(std::vector<double>& values) {
  constexpr size_t kMaxDistinct = 256;
  constexpr int kSlotBits = 9;  // 512 slots: at most half full
  constexpr size_t kSlots = size_t{1} << kSlotBits;
  std::array<uint64_t, kSlots> key{};
  std::array<size_t, kSlots> count{};
  std::array<bool, kSlots> used{};
  size_t distinct = 0;
  // Runs of one value are counted in a register and only looked up once.
  auto add_run = [&](uint64_t k, size_t run) {
    size_t slot = static_cast<size_t>((k * 0x9E3779B97F4A7C15ULL) >> (64 - kSlotBits));
    while (used[slot] && key[slot] != k) slot = (slot + 1) & (kSlots - 1);
    if (!used[slot]) {
      if (distinct == kMaxDistinct) return false;
      ++distinct;
      used[slot] = true;
      key[slot] = k;
    }
    count[slot] += run;
    return true;
  };
  const size_t n = values.size();
  size_t i = 0;
  while (i < n) {
    const uint64_t k = std::bit_cast<uint64_t>(values[i]);
    size_t j = i + 1;
    while (j < n && std::bit_cast<uint64_t>(values[j]) == k) ++j;
    if (!add_run(k, j - i)) return false;
    i = j;
  }
  std::vector<std::pair<uint64_t, size_t>> runs;  // (ordered key, count)
  for (size_t s = 0; s < kSlots; ++s) {
    if (used[s]) runs.emplace_back(OrderedKey(std::bit_cast<double>(key[s])), count[s]);
  }
  std::sort(runs.begin(), runs.end());
  double* out = values.data();
  for (const auto& [k, c] : runs) out = std::fill_n(out, c, FromOrderedKey(k));
  return true;
}

}  // namespace

void TrainingValues(const Column& column, std::span<const size_t> rows, std::vector<double>& out) {
  out.resize(rows.size());
  double* v = out.data();
  size_t n = 0;
  const uint8_t* valid = column.valid.data();
  // Write every cell, keep it by advancing n: no branch per row. n <= i, so
  // the write stays inside v.
  if (column.type == ColumnType::kFloat) {
    const double* cells = column.floats.data();
    for (size_t r : rows) {
      const double x = cells[r];
      v[n] = x;
      n += static_cast<size_t>(valid[r] != 0 && !std::isnan(x));
    }
  } else {
    const int64_t* cells = column.ints.data();
    for (size_t r : rows) {
      v[n] = static_cast<double>(cells[r]);
      n += static_cast<size_t>(valid[r] != 0);
    }
  }
  out.resize(n);
}

std::vector<double> TrainingValues(const Column& column, std::span<const size_t> rows) {
  std::vector<double> v;
  TrainingValues(column, rows, v);
  return v;
}

void SelectForQuantiles(std::span<double> values, std::span<const double> qs) {
  const size_t n = values.size();
  if (n == 0) return;
  std::vector<size_t> pos;
  pos.reserve(2 * qs.size());
  for (double q : qs) {
    // The positions Quantile() reads: floor(q·(n−1)) and the one after it.
    const size_t lo = static_cast<size_t>(std::floor(q * static_cast<double>(n - 1)));
    pos.push_back(std::min(lo, n - 1));
    if (lo + 1 < n) pos.push_back(lo + 1);
  }
  std::sort(pos.begin(), pos.end());
  pos.erase(std::unique(pos.begin(), pos.end()), pos.end());
  SelectPositions(values.data(), values.data() + n, 0, pos);
}

void SortValues(std::vector<double>& values) {
  const size_t n = values.size();
  if (n < kRadixMinSize) {
    std::sort(values.begin(), values.end());
    return;
  }
  if (SortFewDistinct(values)) return;
  std::vector<uint64_t> keys(n);
  std::vector<std::array<size_t, kBuckets>> counts(kDigits);
  for (auto& c : counts) c.fill(0);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t k = OrderedKey(values[i]);
    keys[i] = k;
    for (int d = 0; d < kDigits; ++d) ++counts[d][(k >> (d * kDigitBits)) & (kBuckets - 1)];
  }
  std::vector<uint64_t> scratch(n);
  for (int d = 0; d < kDigits; ++d) {
    const int shift = d * kDigitBits;
    std::array<size_t, kBuckets>& count = counts[d];
    // A digit every key shares leaves the order as it is.
    if (count[(keys[0] >> shift) & (kBuckets - 1)] == n) continue;
    size_t offset = 0;
    for (size_t& c : count) offset += std::exchange(c, offset);
    for (size_t i = 0; i < n; ++i) {
      const uint64_t k = keys[i];
      scratch[count[(k >> shift) & (kBuckets - 1)]++] = k;
    }
    keys.swap(scratch);
  }
  for (size_t i = 0; i < n; ++i) values[i] = FromOrderedKey(keys[i]);
}

int64_t SelectInt(std::span<int64_t> values, size_t k) {
  std::nth_element(values.begin(), values.begin() + static_cast<ptrdiff_t>(k), values.end());
  return values[k];
}

}  // namespace citadel::data
