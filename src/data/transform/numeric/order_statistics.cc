#include "data/transform/numeric/order_statistics.h"

#include <algorithm>
#include <cmath>

namespace citadel::data {
namespace {

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

int64_t SelectInt(std::span<int64_t> values, size_t k) {
  std::nth_element(values.begin(), values.begin() + static_cast<ptrdiff_t>(k), values.end());
  return values[k];
}

}  // namespace citadel::data
