// Assignment of the rows of a Table to the named splits of a SplitSpec.
//
// Reproducible bit for bit: the only randomness is citadel::SeededRng(seed),
// drawn in a fixed order, and every ordering of values is a total order on
// typed values (never hash-map order). Split sizes come from largest-remainder
// rounding, so they sum to the number of rows exactly.
//
//   random      shuffle all rows, then hand out consecutive runs of the
//               largest-remainder counts (the algorithm of the numeric-frame
//               split it replaces, so the same seed gives the same rows).
//   stratified  strata = distinct values of the column in ascending typed
//               order (numbers numerically, strings bytewise, NaN after every
//               number), missing cells one more stratum after them; per
//               stratum, shuffle its rows with the one generator and hand out
//               that stratum's largest-remainder counts. Every split keeps each
//               stratum's share within one row.
//   group       groups = distinct values of the column in the same order,
//               shuffled with the generator; each group in turn goes whole to
//               the split furthest below its target (fraction · rows; ties to
//               the earlier split in name order). A split only receives a group
//               while it is at or below its target, so it ends at most one
//               group's size above it, and hence at most (splits − 1) times the
//               largest group below it. No group is in two splits.
//   time        rows sorted by the column (timestamp, int or float), ties in
//               row order, then cut into consecutive runs of the
//               largest-remainder counts taken in time_order. The cut is by
//               count: rows with the time at a boundary may fall on both sides,
//               so max(time in an earlier split) <= min(time in a later split).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "base/status.h"
#include "data/split/split_spec.h"
#include "data/table/table.h"

namespace citadel::data::split {

// Splits `n` items by `fractions` (normalised by their sum): floor(n·f) each,
// then one more to the largest remainders (ties to the earlier entry) until
// the total is n.
std::vector<size_t> LargestRemainderCounts(size_t n, std::span<const double> fractions);

// Row indices of `table` for each split of `spec`, in spec.fractions order,
// each ascending; together they cover every row exactly once.
// Errors (InvalidArgument): the spec fails ValidateSplitSpec; the column is
// unknown (stratify: true with no label column); a group or time column with
// missing cells, or a time column that is not timestamp, int or float or
// holds NaN (naming the column, the count and the first rows); a split that
// would get 0 rows, naming the split, its fraction and the row count.
Result<std::vector<std::vector<size_t>>> AssignSplits(const SplitSpec& spec, const Table& table);

}  // namespace citadel::data::split
