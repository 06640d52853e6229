#include "ml/torch/network.h"

#include <fmt/format.h>

#include "ml/dense_session.h"
#include "ml/model_files.h"
#include "ml/torch/max_pool.h"
#include "ml/torch/tensors.h"
#include "ml/torch/token_encoder.h"

namespace citadel::ml::internal {
namespace {

// The architectures Citadel builds itself, as one torch::nn::Sequential.
class SequentialNetwork final : public Network {
 public:
  SequentialNetwork(torch::nn::Sequential net, int64_t penultimate_width)
      : net_(std::move(net)), penultimate_width_(penultimate_width) {}

  torch::Tensor Forward(const torch::Tensor& features) override { return net_->forward(features); }
  torch::Tensor Forward(const torch::Tensor& features, torch::Tensor* penultimate) override {
    // Every module but the output Linear, then that one: the same modules
    // in the same order as forward().
    torch::Tensor x = features;
    const auto last = net_->end() - 1;
    for (auto it = net_->begin(); it != last; ++it) x = it->forward(x);
    *penultimate = x;
    return last->forward(x);
  }
  int64_t PenultimateWidth() const override { return penultimate_width_; }
  std::vector<torch::Tensor> Parameters() override { return net_->parameters(); }
  std::vector<NamedTensor> NamedParameters() override {
    std::vector<NamedTensor> out;
    for (const auto& item : net_->named_parameters()) out.push_back({item.key(), item.value()});
    return out;
  }
  std::vector<NamedTensor> NamedBuffers() override {
    std::vector<NamedTensor> out;
    for (const auto& item : net_->named_buffers()) out.push_back({item.key(), item.value()});
    return out;
  }
  void SetTraining(bool training) override { net_->train(training); }

 private:
  torch::nn::Sequential net_;
  int64_t penultimate_width_ = 0;
};

struct BuiltSequential {
  torch::nn::Sequential net;
  int64_t penultimate_width = 0;  // the output Linear's input width; 0 for logreg
};

Result<BuiltSequential> BuildSequential(const ModelSpec& spec, int64_t inputs,
                                        int64_t classes) {
  if (spec.arch == "cnn") {
    const std::vector<int64_t>& shape = spec.input_shape;
    if (shape.size() != 3 || shape[0] * shape[1] * shape[2] != inputs) {
      return InvalidArgumentError(fmt::format(
          "the cnn's input_shape [{}] holds {} values but the dataset has {} features; give "
          "[channels, height, width] of the images the features were flattened from",
          fmt::join(shape, ", "), shape.size() == 3 ? shape[0] * shape[1] * shape[2] : 0, inputs));
    }
  }
  torch::nn::Sequential net;
  int64_t penultimate = 0;
  Status s = CatchTorch("building network", [&]() -> Status {
    int64_t width = inputs;
    if (spec.arch == "cnn") {
      // Rows arrive flat; the first module gives them back their image shape.
      net->push_back(torch::nn::Unflatten(torch::nn::UnflattenOptions(1, spec.input_shape)));
      int64_t channels = spec.input_shape[0];
      int64_t height = spec.input_shape[1];
      int64_t image_width = spec.input_shape[2];
      for (const ConvLayerSpec& c : spec.conv) {
        net->push_back(torch::nn::Conv2d(
            torch::nn::Conv2dOptions(channels, c.channels, c.kernel).padding(c.kernel / 2)));
        if (c.batch_norm) net->push_back(torch::nn::BatchNorm2d(c.channels));
        net->push_back(torch::nn::ReLU());
        if (c.pool > 1) {
          net->push_back(MaxPool(c.pool));
          height /= c.pool;
          image_width /= c.pool;
        }
        channels = c.channels;
      }
      net->push_back(torch::nn::Flatten());
      width = channels * height * image_width;
    }
    if (spec.arch == "transformer") {
      if (spec.transformer.vocab_size < 2) {
        return InvalidArgumentError(
            "the transformer's vocab_size is not set (the trainer resolves it from the data)");
      }
      net->push_back(TokenEncoder(spec.transformer, inputs, spec.dropout));
      if (spec.dropout > 0) net->push_back(torch::nn::Dropout(spec.dropout));
      width = spec.transformer.d_model;
    } else if (spec.arch == "mlp" || spec.arch == "cnn") {
      for (int64_t h : spec.hidden) {
        net->push_back(torch::nn::Linear(width, h));
        net->push_back(torch::nn::ReLU());
        if (spec.dropout > 0) net->push_back(torch::nn::Dropout(spec.dropout));
        width = h;
      }
    } else if (spec.arch != "logreg") {
      return InvalidArgumentError(fmt::format("unknown architecture '{}'", spec.arch));
    }
    // The output layer reads the features themselves in logreg (and in an
    // mlp without hidden layers): no penultimate layer of its own.
    if (!net->is_empty()) penultimate = width;
    // PenultimateWidth (train_spec.h) answers the same from the spec alone,
    // for checks before training; a difference would be a bug in one of
    // the two, caught here on every network built.
    if (penultimate != PenultimateWidth(spec)) {
      return InternalError(fmt::format(
          "the {} network's penultimate layer has {} activations, but PenultimateWidth says {}",
          spec.arch, penultimate, PenultimateWidth(spec)));
    }
    net->push_back(torch::nn::Linear(width, classes));
    return Status::Ok();
  });
  RETURN_IF_ERROR(s);
  return BuiltSequential{net, penultimate};
}

}  // namespace

Result<std::unique_ptr<Network>> BuildNetwork(const ModelSpec& spec, int64_t inputs,
                                              int64_t classes) {
  if (inputs <= 0 || classes < 2) {
    return InvalidArgumentError(fmt::format(
        "cannot build a classifier with {} input features and {} classes (need ≥1 and ≥2)", inputs,
        classes));
  }
  if (spec.arch == "torchscript") {
    return LoadScriptedNetwork(
        spec.module.bytes, inputs, classes,
        spec.module.path.empty() ? kScriptedModuleFile : std::string_view(spec.module.path));
  }
  ASSIGN_OR_RETURN(BuiltSequential built, BuildSequential(spec, inputs, classes));
  return std::unique_ptr<Network>(
      std::make_unique<SequentialNetwork>(std::move(built.net), built.penultimate_width));
}

Result<ModelSpec> ModelSpecFromJson(const Json& model_json, std::string_view source) {
  ModelSpec spec;
  const Json& arch = model_json.contains("architecture") ? model_json["architecture"] : Json();
  if (!arch.is_object() || !arch.contains("arch") || !arch["arch"].is_string()) {
    return InvalidArgumentError(fmt::format("{}: model.json has no architecture.arch", source));
  }
  spec.arch = arch["arch"].get<std::string>();
  if (spec.arch == "cnn" || spec.arch == "transformer" || spec.arch == "torchscript") {
    // The same rules as a train step's model section (train_spec.cc).
    ASSIGN_OR_RETURN(spec, ModelSpecFromArchitectureJson(arch, source));
    if (spec.arch == "transformer" && spec.transformer.vocab_size == 0) {
      return InvalidArgumentError(
          fmt::format("{}: model.json architecture.vocab_size is missing", source));
    }
    return spec;
  }
  if (spec.arch == "mlp") {
    ASSIGN_OR_RETURN(DenseArchitecture dense, ReadDenseArchitecture(arch, source));
    spec.hidden = std::move(dense.hidden);
    spec.dropout = dense.dropout;
  }
  return spec;
}

}  // namespace citadel::ml::internal
