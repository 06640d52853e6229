// ColumnSelection: the `columns:` field shared by most transforms.
//
//   columns: all_numeric          every int / float / bool column except the label
//   columns: all_string           every string column except the label
//   columns: age                  one column
//   columns: [age, income]        these columns, in this order
//
// The selection is resolved against the table when the transform is fitted,
// and the resolved names are what the fitted transform stores, so a serving
// table with extra columns is transformed exactly like the training table.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "base/text/spec_reader.h"
#include "data/table/table.h"

namespace citadel::data {

class ColumnSelection {
 public:
  enum class Kind { kNames, kAllNumeric, kAllString };

  // Reads `key` of `item` (required unless `fallback_all_numeric`, in which
  // case an absent field means all_numeric). Errors name the field.
  static Result<ColumnSelection> Parse(const SpecReader& item, std::string_view key = "columns",
                                       bool fallback_all_numeric = false);

  // The names this selection covers in `table`, in table order for the
  // all_* kinds. The label column (table.label) is never selected by all_*;
  // naming it explicitly is an error. `what` prefixes messages. Errors: a
  // named column that does not exist, an empty result for all_*.
  Result<std::vector<std::string>> Resolve(const Table& table, std::string_view what) const;

  // The spec form again (a string or a list), for ToJson().
  Json ToJson() const;

 private:
  Kind kind_ = Kind::kNames;
  std::vector<std::string> names_;
};

}  // namespace citadel::data
