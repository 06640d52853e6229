// A loaded model ready to answer: the one inference type shared by batch
// prediction, evaluation and (later) online serving.
//
// The network itself lives in the torch runtime (ml/runtime.h), loaded on the
// first Load(); what the model promises (features, classes, preprocessing)
// is plain data here, so that checking a dataset against a model needs no torch.
//
// Thread-safe: PredictProbabilities may be called concurrently (no gradient
// state, the network is in eval mode and never mutated after Load).
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
  // model (artifact id or path) in errors. Loads the torch runtime on first
  // use (FailedPrecondition when it cannot be loaded).
  static Result<std::unique_ptr<InferenceSession>> Load(const ModelFiles& files,
                                                        std::string_view source);
  virtual ~InferenceSession() = default;
  InferenceSession(const InferenceSession&) = delete;
  InferenceSession& operator=(const InferenceSession&) = delete;

  const std::vector<std::string>& feature_names() const { return features_; }
  const std::vector<std::string>& classes() const { return classes_; }
  const Json& model_json() const { return model_json_; }
  const std::string& source() const { return source_; }

  // `features`: rows × feature_names().size(), row-major, already
  // preprocessed the way the training data was (raw rows go through
  // data::FeaturePipeline built from model_json()'s preprocessing first).
  // Returns rows × classes() probabilities (softmax), row-major.
  virtual Result<std::vector<float>> PredictProbabilities(std::span<const float> features,
                                                          int64_t rows) const = 0;

  // Threads one forward pass may use: torch's intra-op threads, set on each
  // calling thread (the BLAS pool stays at one thread for every session, so
  // that results do not depend on the core count). 0, the default, keeps the
  // process's default, right for one big batch job. A server answering many
  // requests at once sets 1: its concurrency comes from requests and
  // batching, and idle intra-op workers spin-wait on the cores the HTTP
  // threads need (docs/benchmarks.md, serving).
  void SetIntraOpThreads(int threads) { intra_op_threads_ = threads; }
  int intra_op_threads() const { return intra_op_threads_; }

  // What model.json promises, checked: the format tag, input features and
  // output classes as string lists, preprocessing as a list. InvalidArgument
  // naming `source` and the field otherwise.
  struct Promises {
    std::vector<std::string> features;
    std::vector<std::string> classes;
  };
  static Result<Promises> ReadPromises(const Json& model_json, std::string_view source);

  // OK when a dataset with this schema.json can be fed to PredictProbabilities:
  // same features in the same order, same classes, same fitted preprocessing.
  Status CheckDatasetCompatible(const Json& dataset_schema, std::string_view dataset_name) const;

 protected:
  // InvalidArgument unless `features` holds rows × feature_names().size()
  // values (rows ≥ 0).
  Status CheckInput(std::span<const float> features, int64_t rows) const;

  InferenceSession(std::string source, Json model_json, std::vector<std::string> features,
                   std::vector<std::string> classes)
      : source_(std::move(source)),
        model_json_(std::move(model_json)),
        features_(std::move(features)),
        classes_(std::move(classes)) {}

 private:
  std::string source_;
  Json model_json_;
  std::vector<std::string> features_;
  std::vector<std::string> classes_;
  int intra_op_threads_ = 0;
};

}  // namespace citadel::ml
