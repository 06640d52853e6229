// Frame: the in-memory dataset between CSV ingest and export — a row-major
// double feature matrix, one class index per row, and where each row came from.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "data/ingest/csv_reader.h"

namespace citadel::data {

struct Frame {
  std::string source;                      // file name, for messages
  std::vector<std::string> feature_names;  // every column but the label, in file order
  std::string label_name;
  // Sorted distinct label values: numeric order when every label is a number,
  // otherwise byte-wise. labels[i] indexes this list.
  std::vector<std::string> classes;
  std::vector<double> features;  // [num_rows(), num_features()], row-major
  std::vector<int64_t> labels;   // class index per row
  std::vector<int64_t> row_ids;  // 0-based data row in the source (header excluded)

  size_t num_rows() const { return labels.size(); }
  size_t num_features() const { return feature_names.size(); }
  double* row(size_t r) { return features.data() + r * num_features(); }
  const double* row(size_t r) const { return features.data() + r * num_features(); }

  // Keeps the rows listed in `rows` (ascending, unique), in that order.
  void KeepRows(const std::vector<size_t>& rows);
};

// Resolves `label` against `columns`: an exact column name first, otherwise an
// integer index ("0" first, "-1" last). `source` names the file in messages.
Result<size_t> ResolveLabelColumn(const std::vector<std::string>& columns, std::string_view label,
                                  std::string_view source);

// Class order for the distinct label values (see Frame::classes).
std::vector<std::string> OrderClasses(std::vector<std::string> distinct);

// Builds a Frame: every non-label column must hold a finite number that fits
// in float32 in every row, and every label must be valid UTF-8 (class names
// go to schema.json). Errors name file:line, the column and the offending value.
Result<Frame> BuildFrame(const CsvTable& table, std::string_view label);

}  // namespace citadel::data
