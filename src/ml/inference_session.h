// A loaded model ready to answer: the one inference type shared by batch
// prediction, evaluation and (later) online serving.
//
// Thread-safe: Predict* may be called concurrently (no gradient state, the
// network is in eval mode and never mutated after Load).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "ml/model_files.h"

namespace citadel::ml {

class InferenceSession {
 public:
  // Validates model.json and that model.safetensors holds exactly the
  // parameters of the architecture, with matching shapes. `source` names the
  // model (artifact id or path) in errors.
  static Result<std::unique_ptr<InferenceSession>> Load(const ModelFiles& files,
                                                        std::string_view source);
  ~InferenceSession();

  const std::vector<std::string>& feature_names() const;
  const std::vector<std::string>& classes() const;
  const Json& model_json() const;

  // `features`: rows × feature_names().size(), row-major, already
  // preprocessed the way the training data was (raw rows go through
  // data::FeaturePipeline built from model_json()'s preprocessing first). Returns rows × classes()
  // probabilities (softmax), row-major.
  Result<std::vector<float>> PredictProbabilities(std::span<const float> features,
                                                  int64_t rows) const;

  // OK when a dataset with this schema.json can be fed to PredictProbabilities:
  // same features in the same order, same classes, same fitted preprocessing.
  Status CheckDatasetCompatible(const Json& dataset_schema, std::string_view dataset_name) const;

 private:
  struct Impl;
  static Result<std::unique_ptr<InferenceSession>> LoadUnchecked(const ModelFiles& files,
                                                                 std::string_view source);
  explicit InferenceSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace citadel::ml
