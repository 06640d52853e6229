// Builds the torch network for a ModelSpec. Parameter names ("0.weight",
// "0.bias", "2.weight" …) are those of torch::nn::Sequential and are the
// tensor names in model.safetensors.
#pragma once

#include "base/status.h"
#include "base/text/json.h"
#include "ml/torch/pch.h"
#include "ml/training/train_spec.h"

namespace citadel::ml::internal {

Result<torch::nn::Sequential> BuildNetwork(const ModelSpec& spec, int64_t inputs, int64_t classes);

// Reads the architecture back from model.json.
Result<ModelSpec> ModelSpecFromJson(const Json& model_json, std::string_view source);

}  // namespace citadel::ml::internal
