// A user's TorchScript module as a Network (network.h): loaded from its
// archive, checked to be a float32 classifier of the right width, and run
// with the graph executor's optimizations off, so that a step computes the
// same numbers whether it is the run's first or its thousandth — a resumed
// run must end with the uninterrupted run's weights bit for bit, and the
// optimizing executor profiles the first calls and may differentiate the
// rest symbolically.
#include <fmt/format.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>

#include <cctype>
#include <sstream>
#include <stdexcept>

#include "ml/torch/network.h"

namespace citadel::ml::internal {
namespace {

std::string LastLine(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  const size_t newline = text.rfind('\n');
  return std::string(newline == std::string_view::npos ? text : text.substr(newline + 1));
}

class ScriptedNetwork final : public Network {
 public:
  explicit ScriptedNetwork(torch::jit::Module module) : module_(std::move(module)) {}

  torch::Tensor Forward(const torch::Tensor& features) override {
    torch::jit::GraphOptimizerEnabledGuard plain(false);
    torch::jit::IValue out = module_.forward({features});
    if (!out.isTensor()) {
      throw std::invalid_argument(fmt::format(
          "the TorchScript module's forward returned {}, not a tensor of logits", out.tagKind()));
    }
    return out.toTensor();
  }
  torch::Tensor Forward(const torch::Tensor&, torch::Tensor*) override {
    throw std::logic_error("a TorchScript module has no penultimate layer Citadel can read");
  }
  int64_t PenultimateWidth() const override { return 0; }

  std::vector<torch::Tensor> Parameters() override {
    std::vector<torch::Tensor> out;
    for (const torch::Tensor& p : module_.parameters()) {
      if (p.requires_grad()) out.push_back(p);
    }
    return out;
  }

  std::vector<NamedTensor> NamedParameters() override {
    std::vector<NamedTensor> out;
    for (const auto& item : module_.named_parameters()) out.push_back({item.name, item.value});
    return out;
  }

  std::vector<NamedTensor> NamedBuffers() override {
    std::vector<NamedTensor> out;
    for (const auto& item : module_.named_buffers()) out.push_back({item.name, item.value});
    return out;
  }

  void SetTraining(bool training) override { module_.train(training); }

 private:
  torch::jit::Module module_;
};

}  // namespace

Result<std::unique_ptr<Network>> LoadScriptedNetwork(std::string_view bytes, int64_t inputs,
                                                     int64_t classes, std::string_view source) {
  if (bytes.empty()) {
    return InvalidArgumentError(fmt::format("{}: the TorchScript module is empty", source));
  }
  torch::jit::Module module;
  try {
    std::istringstream in{std::string(bytes)};
    module = torch::jit::load(in, torch::kCPU);
  } catch (const std::exception& e) {
    std::string why = e.what();
    why = why.substr(0, why.find('\n'));  // the first line says what failed
    return InvalidArgumentError(fmt::format(
        "{}: not a loadable TorchScript module ({}); save one from Python with "
        "torch.jit.script(model).save(PATH) or torch.jit.trace(model, example).save(PATH)",
        source, why));
  }
  auto net = std::make_unique<ScriptedNetwork>(std::move(module));
  // model.safetensors holds float32 weights (and int64 counters), as every
  // Citadel model does.
  for (const NamedTensor& p : net->NamedParameters()) {
    if (p.tensor.scalar_type() != torch::kFloat32) {
      return InvalidArgumentError(fmt::format(
          "{}: parameter '{}' is {}; Citadel trains float32 modules: call model.float() before "
          "saving",
          source, p.name, c10::toString(p.tensor.scalar_type())));
    }
  }
  for (const NamedTensor& b : net->NamedBuffers()) {
    const auto type = b.tensor.scalar_type();
    if (type != torch::kFloat32 && type != torch::kInt64) {
      return InvalidArgumentError(
          fmt::format("{}: buffer '{}' is {}; only float32 and int64 buffers can be stored", source,
                      b.name, c10::toString(type)));
    }
  }
  // A probe in evaluation mode (nothing updates): two rows of zeros must
  // give two rows of `classes` float logits.
  const auto misfit = [&](const std::string& why) {
    return InvalidArgumentError(fmt::format(
        "{}: the TorchScript module does not fit the data: {}; a classifier must map float32 "
        "features [batch, {}] to float32 logits [batch, {}] (the dataset's features and classes)",
        source, why, inputs, classes));
  };
  torch::Tensor out;
  try {
    torch::NoGradGuard no_grad;
    net->SetTraining(false);
    out = net->Forward(torch::zeros({2, inputs}));
  } catch (const c10::Error& e) {
    // TorchScript's own traceback ends with the error itself.
    return misfit(fmt::format("its forward fails on [2, {}] zeros: {}", inputs,
                              LastLine(e.what_without_backtrace())));
  } catch (const std::exception& e) {
    return misfit(fmt::format("its forward fails on [2, {}] zeros: {}", inputs, e.what()));
  }
  if (out.dim() != 2 || out.size(0) != 2 || out.size(1) != classes ||
      out.scalar_type() != torch::kFloat32) {
    return misfit(fmt::format("its forward maps [2, {}] features to {} {}", inputs,
                              c10::toString(out.scalar_type()), fmt::join(out.sizes(), " x ")));
  }
  return std::unique_ptr<Network>(std::move(net));
}

}  // namespace citadel::ml::internal
