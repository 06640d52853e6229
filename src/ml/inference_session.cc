// The torch-free half of InferenceSession: model.json's promises, the
// dataset compatibility check and the out-of-distribution detector. The
// networks are in dense_session.cc and torch/torch_session.cc.
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

Result<std::vector<float>> InferenceSession::PredictProbabilities(
    std::span<const float> features, int64_t rows, std::vector<float>* penultimate) const {
  RETURN_IF_ERROR(CheckInput(features, rows));
  if (penultimate != nullptr && penultimate_width() == 0) {
    return InvalidArgumentError(
        fmt::format("model {} has no penultimate layer to read (architecture {})", source_,
                    model_json_.value("architecture", Json::object()).value("arch", "unknown")));
  }
  ASSIGN_OR_RETURN(std::vector<float> probabilities, Compute(features, rows, penultimate));
  // What a caller indexes by row must hold every row: a network of the
  // wrong shape is an error here, not a read past the end later.
  const auto k = static_cast<int64_t>(classes_.size());
  if (static_cast<int64_t>(probabilities.size()) != rows * k ||
      (penultimate != nullptr &&
       static_cast<int64_t>(penultimate->size()) != rows * penultimate_width())) {
    return InternalError(fmt::format(
        "model {} answered {} rows with {} probabilities{}; expected {} per row", source_, rows,
        probabilities.size(),
        penultimate != nullptr ? fmt::format(" and {} activations", penultimate->size()) : "", k));
  }
  return probabilities;
}

Result<InferenceSession::Screened> InferenceSession::PredictScreened(
    std::span<const float> features, int64_t rows) const {
  Screened out;
  if (!ood_) {
    ASSIGN_OR_RETURN(out.probabilities, PredictProbabilities(features, rows));
    return out;
  }
  if (ood_->space() == FeatureSpace::kPenultimate) {
    std::vector<float> hidden;
    ASSIGN_OR_RETURN(out.probabilities, PredictProbabilities(features, rows, &hidden));
    out.ood_scores = ood_->ScoreRows(hidden, rows);
  } else {
    ASSIGN_OR_RETURN(out.probabilities, PredictProbabilities(features, rows));
    out.ood_scores = ood_->ScoreRows(features, rows);
  }
  return out;
}

Result<OodDetector> InferenceSession::FitOodDetector(const DatasetView& data, double quantile,
                                                     FeatureSpace space) const {
  ASSIGN_OR_RETURN(const OodDetector::LabelledRows train, OodDetector::ReadLabelledRows(data));
  if (space == FeatureSpace::kInputFeatures) {
    Result<OodDetector> d = OodDetector::Fit(train.features, train.rows, train.dims, train.labels,
                                             train.classes, quantile, space);
    if (!d.ok()) return d.status().WithContext(data.name);
    return d;
  }
  RETURN_IF_ERROR(CheckInput(train.features, train.rows).WithContext(data.name));
  const int64_t width = penultimate_width();
  if (width == 0) {
    return InvalidArgumentError(fmt::format(
        "model {} has no penultimate layer to fit an out-of-distribution detector on", source_));
  }
  // One call: each session already runs its rows in fixed blocks (the
  // torch session in chunks of kPredictChunk, the dense one in blocks that
  // do not change a bit), so memory stays bounded and the activations
  // depend on the weights and the data alone.
  std::vector<float> hidden;
  ASSIGN_OR_RETURN(std::vector<float> unused,
                   PredictProbabilities(train.features, train.rows, &hidden));
  Result<OodDetector> fitted =
      OodDetector::Fit(hidden, train.rows, width, train.labels, train.classes, quantile, space);
  if (!fitted.ok()) {
    return fitted.status().WithContext(
        fmt::format("{} (penultimate activations of model {})", data.name, source_));
  }
  return fitted;
}

Status InferenceSession::AttachOodDetector(std::string_view bytes) {
  if (bytes.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(OodDetector d, OodDetector::FromSafetensors(bytes, source_));
  const int64_t width = d.space() == FeatureSpace::kPenultimate
                            ? penultimate_width()
                            : static_cast<int64_t>(features_.size());
  if (d.dims() != width) {
    return DataLossError(fmt::format(
        "{}: {} scores {} features ({}) but the model's {} has {}; the detector belongs to "
        "another model: use the model artifact as stored",
        source_, kOodDetectorFile, d.dims(), FeatureSpaceName(d.space()),
        d.space() == FeatureSpace::kPenultimate ? "penultimate layer" : "input", width));
  }
  ood_ = std::move(d);
  return Status::Ok();
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
