// Finding rows whose cells are equal in a set of columns, exactly and in
// linear time: each row's cells are hashed column by column, and rows with
// equal hashes are compared cell by cell, so a hash collision never merges
// two different rows. Used by drop_duplicates and the `unique` expectation.
//
// Cells are equal by typed value: a missing cell equals a missing cell (and
// nothing else), NaN equals NaN, and 0.0 equals -0.0.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "base/status.h"
#include "data/table/column.h"

namespace citadel::data {

// For every row r of `columns` (all of `rows` cells), the first row whose
// cells equal row r's in every column: r itself when r is the first of its
// kind. With no columns, all rows are equal.
std::vector<size_t> FirstEqualRows(std::span<const Column* const> columns, size_t rows);

// The precondition of row-wise passes over `columns`: each holds `rows`
// cells in its mask and its storage. Internal error naming the column
// otherwise (a Table whose invariant was broken by its builder).
Status CheckRowCount(std::span<const Column* const> columns, size_t rows);

}  // namespace citadel::data
