// Order statistics of training values without comparison sorts of the whole
// column: the kernels behind the quantile fits (impute median, robust,
// winsorize, bucketize) and the ascending pass of standardize. Each gives
// exactly the values a full std::sort would put at the positions it is asked
// for, so fitted parameters do not depend on which kernel computed them.
// Internal to src/data/transform/numeric.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "data/table/column.h"
#include "data/table/value_sort.h"  // SortValues, for the ascending pass of standardize

namespace citadel::data {

// Present, non-NaN values of a numeric or timestamp column on `rows`, in the
// order of `rows` (the multiset that SortedTrainingValues sorts). ±inf are
// kept.
std::vector<double> TrainingValues(const Column& column, std::span<const size_t> rows);
// The same into `out`, whose capacity is reused: fitting many columns in a
// row then allocates (and page-faults) one buffer instead of one per column.
void TrainingValues(const Column& column, std::span<const size_t> rows, std::vector<double>& out);

// Rearranges NaN-free `values` so that Quantile(values, q) equals
// Quantile(<values sorted ascending>, q) for every q in `qs` (each in
// [0, 1]): every position Quantile reads holds its ascending order
// statistic. Expected O(n log k) for k quantiles, by nested selection.
void SelectForQuantiles(std::span<double> values, std::span<const double> qs);

// The k-th smallest of `values` (0-based, k < size), partially reordering
// them; for int columns, whose statistics stay exact in 64 bits.
int64_t SelectInt(std::span<int64_t> values, size_t k);

}  // namespace citadel::data
