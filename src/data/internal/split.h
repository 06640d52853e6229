// Seeded, optionally stratified assignment of rows to named splits.
//
// Reproducible bit for bit: the only randomness is citadel::SeededRng, used
// in a fixed order. Counts come from largest-remainder rounding, so they sum
// to the number of rows exactly.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "data/dataset_prep.h"

namespace citadel::data {

// Each fraction in (0, 1], names unique and non-empty, sum 1 within 1e-6.
Status ValidateSplitSpec(const SplitSpec& spec);

// The split that fitted transforms (standardize) learn from: the one named
// exactly "train", or the only one (0 also when there is no split at all).
// Errors (InvalidArgument, listing the names): several splits and none named
// "train". Names come out sorted, so any fallback would silently fit on, say,
// "test" next to "training", which leaks held-out statistics into training.
Result<size_t> FitSplitIndex(const SplitSpec& spec);

// Splits `n` items by `fractions`: floor(n·f) each, then one more to the
// largest remainders (ties to the earlier split) until the total is n.
std::vector<size_t> LargestRemainderCounts(size_t n, std::span<const double> fractions);

// Row indices (into `labels`) for each split in spec order, each ascending;
// together they cover every row exactly once.
//
// Non-stratified: shuffle all rows, then hand out consecutive runs.
// Stratified: for each class in index order, shuffle that class's rows with
// the same generator, then hand out per-class counts, so every split keeps the
// class proportions within one row per class.
// Precondition: ValidateSplitSpec passed; labels in [0, num_classes).
std::vector<std::vector<size_t>> AssignSplits(const SplitSpec& spec,
                                              std::span<const int64_t> labels, size_t num_classes);

}  // namespace citadel::data
