// Sorting a column's values in O(n), for the statistics that need them in
// order: the profile's distinct values, quantiles and histograms, and the
// transforms' order statistics (transform/numeric/order_statistics.h). Both
// sorts count when the values hold few distinct bit patterns (one-hot and
// flag columns, small codes), and otherwise run a least-significant-digit
// radix sort on order-preserving 64-bit keys that skips the digits every key
// shares. Several times faster than std::sort on a million values.
#pragma once

#include <cstdint>
#include <vector>

namespace citadel::data {

// Ascending, as std::sort would order NaN-free `values`. Values that compare
// equal are equal bit for bit, except -0.0 and 0.0: from 512 values on,
// -0.0 comes first (below that, std::sort itself runs and leaves their
// order unspecified).
void SortValues(std::vector<double>& values);

// Ascending.
void SortInts(std::vector<int64_t>& values);

}  // namespace citadel::data
