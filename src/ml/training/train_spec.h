// What a `kind: train` step asks for: the model architecture, the optimizer,
// the learning-rate schedule, gradient clipping, class weights, early
// stopping and the loop settings. Plain data, no torch: other modules include
// this. The YAML syntax and the defaults are documented in
// docs/formats/model.md ("training"), which is also how model.json records them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "base/text/spec_reader.h"
#include "ml/ood_detector.h"

namespace citadel::ml {

// One convolution block of a cnn: conv (same padding) → batch norm (if set)
// → ReLU → max pool (if pool > 1).
struct ConvLayerSpec {
  int64_t channels = 32;  // output channels
  int64_t kernel = 3;     // square kernel, odd
  int64_t pool = 2;       // max-pool window and stride; 1 = no pooling
  bool batch_norm = false;
};

// A transformer encoder over token ids: each feature is the id of one
// position's token (0 = padding, as the text op's mode: sequence writes); a
// learned [CLS] slot and learned position embeddings are added, `layers`
// post-norm encoder layers (PyTorch's TransformerEncoderLayer, ReLU) run
// with padding masked out, and the mean of the non-padding outputs (the
// [CLS] slot included, so an all-padding row is defined) feeds the linear
// classifier.
struct TransformerSpec {
  int64_t vocab_size = 0;  // token ids must be below it; 0 = the training data's largest id + 1
  int64_t d_model = 64;    // embedding width, a multiple of heads
  int64_t heads = 4;
  int64_t layers = 2;
  int64_t feedforward = 0;  // width of each layer's feed-forward block; 0 = 4 * d_model
  int64_t FeedforwardWidth() const { return feedforward > 0 ? feedforward : 4 * d_model; }
};

// A user-supplied TorchScript module (torch.jit.script or torch.jit.trace,
// then .save): its forward takes float32 features [batch, features] and
// returns logits [batch, classes]. Training starts from the weights saved in
// it; parameters saved with requires_grad False stay frozen. The trained
// weights are written to model.safetensors like any model's; the module
// file itself travels in the model artifact as module.pt (the code;
// model_files.h).
struct ScriptedModuleSpec {
  std::string path;    // as written in the step (relative to the pipeline file)
  std::string sha256;  // hex digest of `bytes`, recorded in model.json
  std::string bytes;   // the TorchScript archive; set by the step before training
};

struct ModelSpec {
  std::string arch = "mlp";     // "logreg" | "mlp" | "cnn" | "transformer" | "torchscript"
  std::vector<int64_t> hidden;  // mlp, cnn: widths of the fully connected hidden layers
  double dropout = 0.0;         // mlp, cnn: after each hidden activation; transformer: inside
                                // the encoder layers and before the classifier (default 0.1)
  // cnn: the features are images [channels, height, width] flattened in
  // that order (IDX pixels are), followed by the conv blocks.
  std::vector<int64_t> input_shape;
  std::vector<ConvLayerSpec> conv;
  TransformerSpec transformer;  // transformer only
  ScriptedModuleSpec module;    // torchscript only
};

// The width of the activations the model's output layer reads (what an
// InferenceSession's penultimate_width() will be), from the spec alone, for
// checks before training; 0 when the architecture has no such layer of its
// own (logreg, mlp without hidden layers, torchscript).
int64_t PenultimateWidth(const ModelSpec& model);

struct OptimizerSpec {
  std::string name = "adam";  // "sgd" | "adam" | "adamw"
  double lr = 1e-3;
  double momentum = 0.0;      // sgd
  bool nesterov = false;      // sgd, needs momentum > 0
  double weight_decay = 0.0;  // sgd, adam: L2 penalty; adamw: decoupled (default 0.01)
  double beta1 = 0.9;         // adam, adamw
  double beta2 = 0.999;       // adam, adamw
  double eps = 1e-8;          // adam, adamw
};

// The learning rate of each epoch; see LearningRateAt (lr_schedule.h).
struct LrScheduleSpec {
  std::string name = "constant";  // "constant" | "step" | "cosine"
  int64_t step_size = 1;          // step: epochs between decays
  double gamma = 0.1;             // step: decay factor
  double min_lr = 0.0;            // cosine: the floor
  int64_t warmup_epochs = 0;      // any schedule: linear ramp-up before it
};

// Applied after backward(), before the optimizer step: values first, then
// the total L2 norm, so that max_norm holds for the update actually taken.
struct GradClipSpec {
  std::optional<double> max_norm;   // total L2 norm over all parameters
  std::optional<double> max_value;  // per element, |g| <= max_value
};

struct ClassWeightsSpec {
  bool balanced = false;       // n_samples / (n_classes * count_c) on the training data
  std::vector<double> values;  // explicit, one per class in schema order
  bool enabled() const { return balanced || !values.empty(); }
};

struct EarlyStoppingSpec {
  std::string metric = "val_loss";  // "val_loss" (lower is better) | "val_accuracy"
  int64_t patience = 5;             // epochs without improvement before stopping
  double min_delta = 0.0;           // smaller changes are not improvements
};

// ood: the out-of-distribution detector the train step fits on the training
// rows after training (ood_detector.h). `ood: false` turns it off;
// `ood: { quantile: Q, space: S }` sets the share of training rows scored
// below the threshold and the features it scores: `input_features` (the
// default) or `penultimate` (mlp, cnn, transformer: the activations the
// output layer reads; cheaper at wide inputs, weaker against corrupted and
// adversarial inputs on the models measured). Off by default for a
// transformer, whose input features are token ids; asked for, it scores the
// penultimate layer.
struct OodSpec {
  bool enabled = true;
  double quantile = 0.99;
  FeatureSpace space = FeatureSpace::kInputFeatures;
  // Written in the spec rather than defaulted: a detector that cannot be
  // fitted (too many features) then fails the step instead of being skipped.
  bool requested = false;
};

struct TrainSpec {
  ModelSpec model;
  OptimizerSpec optimizer;
  LrScheduleSpec lr_schedule;
  GradClipSpec grad_clip;
  ClassWeightsSpec class_weights;
  std::optional<EarlyStoppingSpec> early_stopping;  // needs a validation dataset
  OodSpec ood;
  int64_t epochs = 10;
  int64_t batch_size = 64;
  uint64_t seed = 0;
  int threads = 1;  // intra-op threads; part of the recorded environment
  // resources.memory: the most the step may hold (an admission check against
  // EstimateTrainingMemory before training starts); nullopt = no limit.
  std::optional<uint64_t> memory_limit;
};

// Reads model, optimizer, lr_schedule, grad_clip, class_weights,
// early_stopping, ood, epochs, batch_size, seed and resources.threads from a train
// step, and checks that `validation` (a dataset reference, read by the
// caller) is a string and is present when early_stopping is. Other fields
// must be named in `extra_known`. InvalidArgument naming file, line and field.
Result<TrainSpec> ParseTrainSpec(const SpecReader& step,
                                 std::initializer_list<std::string_view> extra_known);

Json ModelSpecToJson(const ModelSpec& spec);
// The inverse, for model.json's `architecture` (checked as strictly as a
// spec; `activation` must be "relu"). `source` names the model in errors.
Result<ModelSpec> ModelSpecFromArchitectureJson(const Json& architecture, std::string_view source);
Json OptimizerSpecToJson(const OptimizerSpec& spec);
Json LrScheduleSpecToJson(const LrScheduleSpec& spec);
Json GradClipSpecToJson(const GradClipSpec& spec);  // null when off
Json EarlyStoppingSpecToJson(const EarlyStoppingSpec& spec);

}  // namespace citadel::ml
