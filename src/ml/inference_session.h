// A loaded model ready to answer: the one inference type shared by batch
// prediction, evaluation and (later) online serving.
//
// The network itself lives in the torch runtime (ml/runtime.h), loaded on the
// first Load(); what the model promises (features, classes, preprocessing)
// is plain data here, so that checking a dataset against a model needs no torch.
//
// It also carries the model's out-of-distribution detector (ood.safetensors,
// ood_detector.h): batch jobs score rows with it through PredictScreened,
// and the server scores the same features or activations (taken from its
// batched forward passes) on its HTTP threads, so both judge a row alike.
//
// Thread-safe: every const method may be called concurrently (no gradient
// state, the network is in eval mode and never mutated after Load).
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "ml/dataset_view.h"
#include "ml/model_files.h"
#include "ml/ood_detector.h"

namespace citadel::ml {

class InferenceSession {
 public:
  // Validates model.json and that model.safetensors holds exactly the
  // parameters of the architecture, with matching shapes, and reads
  // ood.safetensors when the model has one (strictly: its width must be
  // that of the space it was fitted in; DataLoss naming the model
  // otherwise). `source` names the model (artifact id or path) in errors.
  // Loads the torch runtime on first use (FailedPrecondition when it
  // cannot be loaded).
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
  // Returns rows × classes() probabilities (softmax), row-major; with
  // `penultimate`, also fills it with rows × penultimate_width() values
  // (the same forward pass).
  Result<std::vector<float>> PredictProbabilities(std::span<const float> features, int64_t rows,
                                                  std::vector<float>* penultimate = nullptr) const;

  // The width of the activations the output layer reads, after the last
  // hidden block (mlp, cnn; a transformer's pooled encoding); 0 when the
  // architecture has none Citadel can read (logreg, whose output layer
  // reads the input; torchscript, whose layers are the user's).
  virtual int64_t penultimate_width() const { return 0; }

  // The detector the model was trained with; null when it has none.
  const OodDetector* ood_detector() const { return ood_ ? &*ood_ : nullptr; }

  // Probabilities and, when the model has a detector, each row's score in
  // the detector's space (above ood_detector()->threshold(): out of
  // distribution); empty scores otherwise.
  struct Screened {
    std::vector<float> probabilities;  // rows × classes
    std::vector<double> ood_scores;    // rows, or none
  };
  Result<Screened> PredictScreened(std::span<const float> features, int64_t rows) const;

  // Fits this model's detector in `space` on `data`'s rows (its training
  // dataset): the penultimate activations are computed by this session, so
  // the same weights and data give the same detector.
  // InvalidArgument when the model has no penultimate layer to fit in, or
  // as OodDetector::Fit.
  Result<OodDetector> FitOodDetector(const DatasetView& data, double quantile,
                                     FeatureSpace space) const;

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
  // PredictProbabilities after its input check: `features` holds rows ×
  // feature_names().size() values.
  virtual Result<std::vector<float>> Compute(std::span<const float> features, int64_t rows,
                                             std::vector<float>* penultimate) const = 0;

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
  // Reads ood.safetensors into ood_ (Load).
  Status AttachOodDetector(std::string_view bytes);

  std::string source_;
  Json model_json_;
  std::vector<std::string> features_;
  std::vector<std::string> classes_;
  int intra_op_threads_ = 0;
  std::optional<OodDetector> ood_;
};

}  // namespace citadel::ml
