// Network: the model a trainer updates and a session runs, whichever way it
// was defined — built by Citadel from a ModelSpec (logreg, mlp, cnn,
// transformer: a torch::nn::Sequential) or loaded from a user's TorchScript
// module (torchscript). The tensor names are model.safetensors' names:
// "0.weight", "0.bias", "2.weight" … for a Sequential, the module's own
// attribute paths ("fc1.weight") for TorchScript.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "ml/torch/pch.h"
#include "ml/training/train_spec.h"

namespace citadel::ml::internal {

struct NamedTensor {
  std::string name;
  torch::Tensor tensor;
};

class Network {
 public:
  virtual ~Network() = default;

  // Features [batch, inputs] → logits [batch, classes].
  virtual torch::Tensor Forward(const torch::Tensor& features) = 0;
  // The same, also setting `*penultimate` to what the output layer reads,
  // [batch, PenultimateWidth()]. Only when PenultimateWidth() > 0.
  virtual torch::Tensor Forward(const torch::Tensor& features, torch::Tensor* penultimate) = 0;
  // 0 when the network's last layer input is not Citadel's to read
  // (logreg reads the features themselves; a TorchScript module is opaque).
  virtual int64_t PenultimateWidth() const = 0;
  // The tensors the optimizer updates, always in the same order (a
  // checkpoint's optimizer state is matched to them by position). A
  // TorchScript parameter saved with requires_grad False is not among them.
  virtual std::vector<torch::Tensor> Parameters() = 0;
  // Every parameter, trainable or not, and every buffer (batch norm's
  // running statistics), by name.
  virtual std::vector<NamedTensor> NamedParameters() = 0;
  virtual std::vector<NamedTensor> NamedBuffers() = 0;
  // Training mode (dropout on, batch norm updating) or evaluation mode.
  virtual void SetTraining(bool training) = 0;
};

// The network for `spec`, with `inputs` features and `classes` outputs.
// A torchscript spec must carry the module's bytes; it is loaded and probed
// with a batch of zeros, which must give [batch, classes] float logits.
Result<std::unique_ptr<Network>> BuildNetwork(const ModelSpec& spec, int64_t inputs,
                                              int64_t classes);

// Loads a TorchScript archive (scripted_network.cc). `source` names it in
// errors.
Result<std::unique_ptr<Network>> LoadScriptedNetwork(std::string_view bytes, int64_t inputs,
                                                     int64_t classes, std::string_view source);

// Reads the architecture back from model.json.
Result<ModelSpec> ModelSpecFromJson(const Json& model_json, std::string_view source);

}  // namespace citadel::ml::internal
