#include "ml/torch/network.h"

#include <fmt/format.h>

#include "ml/torch/tensors.h"

namespace citadel::ml::internal {

Result<torch::nn::Sequential> BuildNetwork(const ModelSpec& spec, int64_t inputs, int64_t classes) {
  if (inputs <= 0 || classes < 2) {
    return InvalidArgumentError(fmt::format(
        "cannot build a classifier with {} input features and {} classes (need ≥1 and ≥2)", inputs,
        classes));
  }
  torch::nn::Sequential net;
  Status s = CatchTorch("building network", [&]() -> Status {
    int64_t width = inputs;
    if (spec.arch == "mlp") {
      for (int64_t h : spec.hidden) {
        net->push_back(torch::nn::Linear(width, h));
        net->push_back(torch::nn::ReLU());
        if (spec.dropout > 0) net->push_back(torch::nn::Dropout(spec.dropout));
        width = h;
      }
    } else if (spec.arch != "logreg") {
      return InvalidArgumentError(fmt::format("unknown architecture '{}'", spec.arch));
    }
    net->push_back(torch::nn::Linear(width, classes));
    return Status::Ok();
  });
  RETURN_IF_ERROR(s);
  return net;
}

Result<ModelSpec> ModelSpecFromJson(const Json& model_json, std::string_view source) {
  ModelSpec spec;
  const Json& arch = model_json.contains("architecture") ? model_json["architecture"] : Json();
  if (!arch.is_object() || !arch.contains("arch") || !arch["arch"].is_string()) {
    return InvalidArgumentError(fmt::format("{}: model.json has no architecture.arch", source));
  }
  spec.arch = arch["arch"].get<std::string>();
  if (spec.arch == "mlp") {
    if (!arch.contains("hidden") || !arch["hidden"].is_array()) {
      return InvalidArgumentError(
          fmt::format("{}: model.json architecture.hidden is missing", source));
    }
    for (const Json& h : arch["hidden"]) {
      if (!h.is_number_integer() || h.get<int64_t>() <= 0) {
        return InvalidArgumentError(
            fmt::format("{}: model.json architecture.hidden has a bad width", source));
      }
      spec.hidden.push_back(h.get<int64_t>());
    }
    spec.dropout = arch.value("dropout", 0.0);
  }
  return spec;
}

}  // namespace citadel::ml::internal
