// The torch-free half of InferenceSession: model.json's promises and the
// dataset compatibility check. The network is in torch/torch_session.cc.
#include "ml/inference_session.h"

#include <fmt/format.h>

namespace citadel::ml {
namespace {

Result<std::vector<std::string>> Strings(const Json& j, std::string_view what,
                                         std::string_view source) {
  if (!j.is_array())
    return InvalidArgumentError(fmt::format("{}: model.json {} is not a list", source, what));
  std::vector<std::string> out;
  for (const Json& v : j) {
    if (!v.is_string())
      return InvalidArgumentError(
          fmt::format("{}: model.json {} holds a non-string", source, what));
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

Result<InferenceSession::Promises> InferenceSession::ReadPromises(const Json& mj,
                                                                  std::string_view source) {
  if (!mj.is_object() || !mj.contains("format") || !mj["format"].is_string() ||
      mj["format"].get<std::string>() != kModelFormat) {
    return InvalidArgumentError(
        fmt::format("{}: model.json is not a {} document", source, kModelFormat));
  }
  if (!mj.contains("input") || !mj["input"].is_object() || !mj.contains("output") ||
      !mj["output"].is_object()) {
    return InvalidArgumentError(fmt::format("{}: model.json lacks input or output", source));
  }
  Promises p;
  ASSIGN_OR_RETURN(p.features,
                   Strings(mj["input"].value("features", Json()), "input.features", source));
  ASSIGN_OR_RETURN(p.classes,
                   Strings(mj["output"].value("classes", Json()), "output.classes", source));
  // The fitted preprocessing belongs to src/data (FeaturePipeline); a model
  // only checks that it is a list, and that a dataset matches it exactly.
  if (mj.contains("preprocessing") && !mj["preprocessing"].is_array()) {
    return InvalidArgumentError(fmt::format("{}: model.json preprocessing is not a list", source));
  }
  return p;
}

Status InferenceSession::CheckInput(std::span<const float> features, int64_t rows) const {
  const int64_t d = static_cast<int64_t>(features_.size());
  if (rows < 0 || features.size() != static_cast<size_t>(rows * d)) {
    return InvalidArgumentError(
        fmt::format("model {} expects {} features per row; got {} values for {} rows", source_, d,
                    features.size(), rows));
  }
  return Status::Ok();
}

Status InferenceSession::CheckDatasetCompatible(const Json& schema,
                                                std::string_view dataset_name) const {
  if (!schema.is_object()) {
    return InvalidArgumentError(
        fmt::format("dataset {}: schema.json is not an object", dataset_name));
  }
  const Json no_label = Json::object();
  const Json& label =
      schema.contains("label") && schema["label"].is_object() ? schema["label"] : no_label;
  if (schema.value("features", Json()) != Json(features_)) {
    return FailedPreconditionError(
        fmt::format("dataset {} has different features from those model {} was trained on",
                    dataset_name, source_));
  }
  if (label.value("classes", Json()) != Json(classes_)) {
    return FailedPreconditionError(
        fmt::format("dataset {} has different classes from model {}", dataset_name, source_));
  }
  if (schema.value("preprocessing", Json::array()) !=
      model_json_.value("preprocessing", Json::array())) {
    return FailedPreconditionError(
        fmt::format("dataset {} was preprocessed with different fitted parameters than model "
                    "{}'s training data; prepare it in the same process step",
                    dataset_name, source_));
  }
  return Status::Ok();
}

}  // namespace citadel::ml
