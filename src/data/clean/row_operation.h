// RowOperation: one `clean:` entry of a process step — an operation that
// removes rows from the whole table before it is split, so that every split
// sees the same cleaned data.
//
//   clean:
//     - { op: drop_missing }                                # a cell missing in any column
//     - { op: drop_missing, columns: [age, income], how: all }
//     - { op: filter, expr: 'age >= 18 and country != "XX"' }
//     - { op: drop_duplicates }                             # all columns
//     - { op: drop_duplicates, columns: [customer_id] }
//
// The ops run in list order. Rows are removed with Table::KeepRows, so
// row_ids and lines keep naming where each remaining row came from.
//
// Implementations are immutable after parsing and may be shared by threads
// that run them on different tables.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "base/text/spec_reader.h"
#include "data/table/table.h"

namespace citadel::data {

class RowOperation {
 public:
  virtual ~RowOperation();

  // The op name as written in the spec ("filter").
  virtual std::string_view op() const = 0;

  // Removes rows from `table`; returns how many. Errors: InvalidArgument
  // naming the spec entry and the problem (an unknown column, an expression
  // of the wrong type); the table is unchanged then.
  virtual Result<size_t> Run(Table& table) const = 0;

  // The spec entry, normalised ({"op": …, fields}), for reports.
  virtual Json ToJson() const = 0;
};

// Reads one `clean:` entry. Errors come from SpecReader ("spec.yaml:LINE:
// steps/0/clean/1/op: …"): an unknown op lists the clean ops, and a transform
// op gets a hint that it belongs under transforms:.
Result<std::unique_ptr<RowOperation>> ParseRowOperation(const SpecReader& item);

// The clean ops, sorted: drop_duplicates, drop_missing, filter.
const std::vector<std::string_view>& RowOperationNames();

}  // namespace citadel::data
