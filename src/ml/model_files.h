// A trained model as files: model.safetensors (weights, F32) and model.json
// (architecture, input/output schema, preprocessing, training settings), and
// for a TorchScript architecture module.pt.
// Format: docs/formats/model.md.
#pragma once

#include <string>
#include <string_view>

#include "base/text/json.h"

namespace citadel::ml {

inline constexpr std::string_view kModelFormat = "citadel.model/v1";
// A TorchScript architecture's module inside the model artifact.
inline constexpr std::string_view kScriptedModuleFile = "module.pt";

struct ModelFiles {
  std::string safetensors;
  Json model_json;
  // module.pt, for architecture.arch "torchscript" only: the user's
  // TorchScript module, the code the weights belong to. Empty otherwise.
  std::string torchscript;
};

}  // namespace citadel::ml
