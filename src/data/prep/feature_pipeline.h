// FeaturePipeline: the fitted transforms of a dataset, re-applied to new raw
// rows — how a serving request (or any later table) gets exactly the features
// a model was trained on, with no refitting.
//
// Built from a split's schema.json; thread-safe for concurrent Transform calls
// (the fitted transforms are only read).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "data/table/table.h"
#include "data/transform/transform.h"

namespace citadel::data {

class FeaturePipeline {
 public:
  // `where` names the dataset in errors. Errors: a schema that is not
  // citadel.dataset/v2, a malformed or unknown preprocessing entry.
  static Result<FeaturePipeline> FromSchema(const Json& schema, const TransformEnv& env,
                                            std::string_view where);

  // The raw input columns (name, type) a table passed to Transform must have.
  const Json& input_columns() const { return input_columns_; }
  const std::vector<std::string>& feature_names() const { return feature_names_; }

  // Applies every stored transform to `table` and returns its features,
  // rows × feature_names().size(), row-major, in the dataset's column order.
  // Extra columns are ignored; a missing input column, a type mismatch or a
  // value the transforms reject is InvalidArgument naming column and row.
  Result<std::vector<float>> Transform(Table table) const;

 private:
  std::vector<std::shared_ptr<const ColumnTransform>> transforms_;  // shared: copyable pipeline
  std::vector<std::string> feature_names_;
  std::string label_;
  Json input_columns_;
};

}  // namespace citadel::data
