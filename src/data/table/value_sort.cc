#include "data/table/value_sort.h"

#include <algorithm>
#include <array>
#include <bit>
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

// Each maps a value to an unsigned key with the same ascending order, and
// back. A double's key: negative numbers have all bits flipped (larger
// magnitude → smaller key), others only the sign bit set.
struct DoubleKeys {
  static uint64_t Key(double x) {
    const uint64_t u = std::bit_cast<uint64_t>(x);
    return (u & kSignBit) != 0 ? ~u : u | kSignBit;
  }
  static double Value(uint64_t k) {
    return std::bit_cast<double>((k & kSignBit) != 0 ? k & ~kSignBit : ~k);
  }
};

// An int64's key: the sign bit flipped (two's complement order → unsigned).
struct IntKeys {
  static uint64_t Key(int64_t x) { return static_cast<uint64_t>(x) ^ kSignBit; }
  static int64_t Value(uint64_t k) { return static_cast<int64_t>(k ^ kSignBit); }
};

// Sorts `values` by counting when they hold at most kMaxDistinct keys;
// false, leaving them as they are, otherwise.
template <typename T, typename Keys>
bool SortFewDistinct(std::vector<T>& values) {
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
    const uint64_t k = Keys::Key(values[i]);
    size_t j = i + 1;
    while (j < n && Keys::Key(values[j]) == k) ++j;
    if (!add_run(k, j - i)) return false;
    i = j;
  }
  std::vector<std::pair<uint64_t, size_t>> runs;  // (key, count)
  for (size_t s = 0; s < kSlots; ++s) {
    if (used[s]) runs.emplace_back(key[s], count[s]);
  }
  std::sort(runs.begin(), runs.end());
  T* out = values.data();
  for (const auto& [k, c] : runs) out = std::fill_n(out, c, Keys::Value(k));
  return true;
}

template <typename T, typename Keys>
void SortByKeys(std::vector<T>& values) {
  const size_t n = values.size();
  if (n < kRadixMinSize) {
    std::sort(values.begin(), values.end());
    return;
  }
  if (SortFewDistinct<T, Keys>(values)) return;
  std::vector<uint64_t> keys(n);
  std::vector<std::array<size_t, kBuckets>> counts(kDigits);
  for (auto& c : counts) c.fill(0);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t k = Keys::Key(values[i]);
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
  for (size_t i = 0; i < n; ++i) values[i] = Keys::Value(keys[i]);
}

}  // namespace

void SortValues(std::vector<double>& values) { SortByKeys<double, DoubleKeys>(values); }

void SortInts(std::vector<int64_t>& values) { SortByKeys<int64_t, IntKeys>(values); }

}  // namespace citadel::data
