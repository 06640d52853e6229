// Table: the in-memory dataset of a `kind: process` step, column-major and
// typed, from ingest through cleaning and transforms to export.
//
// Every column has num_rows() cells. `row_ids` and `lines` follow the rows
// through filtering and de-duplication so that any message or report can name
// where a row came from ("customers.csv:1812").
//
// A plain value type; not thread-safe for concurrent mutation.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "data/table/column.h"

namespace citadel::data {

struct Table {
  std::string source;            // input file name, for messages
  std::string label;             // the class label column ("" = none); never a feature
  std::vector<Column> columns;   // in input order; derived columns appended
  std::vector<int64_t> row_ids;  // 0-based data row in the source (header excluded)
  std::vector<int64_t> lines;    // 1-based line (CSV, JSONL) or record number (IDX) per row

  size_t num_rows() const { return row_ids.size(); }
  size_t num_columns() const { return columns.size(); }

  // nullptr when absent.
  Column* Find(std::string_view name);
  const Column* Find(std::string_view name) const;
  // Index of `name`, or npos.
  size_t IndexOf(std::string_view name) const;

  // The column named `name`; InvalidArgument listing the columns otherwise.
  // `what` says who asks ("standardize", "filter at line 12").
  Result<Column*> Get(std::string_view name, std::string_view what);
  Result<const Column*> Get(std::string_view name, std::string_view what) const;

  // Appends `column` (size must equal num_rows()); AlreadyExists when the
  // name is taken.
  Status Add(Column column);
  // Replaces the column of the same name, or appends it.
  void Put(Column column);
  void Remove(std::string_view name);

  // Keeps the rows listed in `rows` (ascending, unique), in that order.
  void KeepRows(std::span<const size_t> rows);

  // "SOURCE:LINE" of a row, for messages.
  std::string Where(size_t row) const;

  // Names of all columns, comma-separated and quoted, at most 12 shown.
  std::string ColumnList() const;
};

}  // namespace citadel::data
