#include "data/prep/feature_pipeline.h"

#include <fmt/format.h>

#include "data/prep/dataset_export.h"

namespace citadel::data {

Result<FeaturePipeline> FeaturePipeline::FromSchema(const Json& schema, const TransformEnv& env,
                                                    std::string_view where) {
  if (!schema.is_object() || schema.value("format", "") != kDatasetFormat) {
    return InvalidArgumentError(
        fmt::format("{}: not a {} schema.json; re-run the process step with this Citadel version",
                    where, kDatasetFormat));
  }
  FeaturePipeline p;
  try {
    p.feature_names_ = schema.at("features").get<std::vector<std::string>>();
    p.label_ = schema.at("label").at("name").get<std::string>();
    p.input_columns_ = schema.at("input").at("columns");
  } catch (const Json::exception& e) {
    return InvalidArgumentError(fmt::format("{}: schema.json: {}", where, e.what()));
  }
  const Json& pre = schema.value("preprocessing", Json::array());
  if (!pre.is_array()) {
    return InvalidArgumentError(fmt::format("{}: schema.json preprocessing is not a list", where));
  }
  for (size_t i = 0; i < pre.size(); ++i) {
    ASSIGN_OR_RETURN(
        std::unique_ptr<ColumnTransform> t,
        LoadFittedTransform(pre[i], env, fmt::format("{}: preprocessing/{}", where, i)));
    p.transforms_.push_back(std::move(t));
  }
  return p;
}

Result<std::vector<float>> FeaturePipeline::Transform(Table table) const {
  table.label = label_;
  for (const Json& column : input_columns_) {
    std::string name = column.value("name", "");
    if (name == label_) continue;  // a request has no label
    const Column* c = table.Find(name);
    if (c == nullptr) {
      return InvalidArgumentError(
          fmt::format("input column '{}' is missing; the dataset's inputs "
                      "are {}",
                      name, input_columns_.dump()));
    }
    std::string type = column.value("type", "");
    if (ColumnTypeName(c->type) != type) {
      return InvalidArgumentError(fmt::format("input column '{}' is {}, the dataset's is {}", name,
                                              ColumnTypeName(c->type), type));
    }
  }
  for (const auto& t : transforms_) {
    RETURN_IF_ERROR(t->Apply(table).WithContext(t->op()));
  }
  // Keep exactly the dataset's features, in its order (inputs the dataset
  // did not use stay behind).
  Table features;
  features.source = table.source;
  features.row_ids = table.row_ids;
  features.lines = table.lines;
  for (const std::string& name : feature_names_) {
    Column* c = table.Find(name);
    if (c == nullptr) {
      return InvalidArgumentError(
          fmt::format("feature '{}' was not produced by the stored transforms", name));
    }
    features.columns.push_back(std::move(*c));
  }
  ASSIGN_OR_RETURN(FeatureMatrix m, ExtractFeatures(features));
  return std::move(m.values);
}

}  // namespace citadel::data
