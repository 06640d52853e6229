// Row-level cleaning and fitted column transforms over a Frame.
//
// drop_duplicates runs on the whole frame before the split. standardize is
// fitted on one set of rows (the training split) and applied to all rows, so
// its mean and scale never see held-out data.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "data/dataset_prep.h"
#include "data/internal/frame.h"

namespace citadel::data {

inline constexpr std::string_view kDropDuplicates = "drop_duplicates";
inline constexpr std::string_view kStandardize = "standardize";

// Checks every op name, that standardize's columns exist in `frame`, and that
// no column is covered by two standardize transforms (serving folds exactly
// one affine map per column).
Status ValidateTransforms(const std::vector<TransformSpec>& transforms, const Frame& frame);

// Removes every row whose features and label equal an earlier row's (the
// first stays). Returns the number of rows removed.
size_t DropDuplicateRows(Frame& frame);

// (x - mean) / scale per column; scale is the population standard deviation
// (ddof = 0, as sklearn's StandardScaler), or 1 for a constant column.
struct StandardizeFit {
  std::vector<size_t> columns;  // feature indices
  std::vector<double> mean;
  std::vector<double> scale;

  // {"op":"standardize","columns":[names],"mean":[…],"scale":[…]}
  Json ToJson(const Frame& frame) const;
};

// Feature indices named by `spec` (all of them for all_numeric).
// Precondition: ValidateTransforms passed.
std::vector<size_t> StandardizeColumns(const TransformSpec& spec, const Frame& frame);

// Fits on `fit_rows` (non-empty) of `frame`. Errors (InvalidArgument, naming
// the column): a mean or scale that is not finite (values near the double
// range overflow the sums).
Result<StandardizeFit> FitStandardize(const Frame& frame, std::vector<size_t> columns,
                                      std::span<const size_t> fit_rows);

// Applies `fit` to every row of `frame`.
void ApplyStandardize(const StandardizeFit& fit, Frame& frame);

}  // namespace citadel::data
