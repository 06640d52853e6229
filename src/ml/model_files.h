// A trained model as files: model.safetensors (weights, F32) and model.json
// (architecture, input/output schema, preprocessing, training settings), for
// a TorchScript architecture module.pt, and when the train step fitted one
// the out-of-distribution detector ood.safetensors (ood_detector.h).
// Format: docs/formats/model.md.
#pragma once

#include <string>
#include <string_view>

#include "base/text/json.h"

namespace citadel::ml {

inline constexpr std::string_view kModelFormat = "citadel.model/v1";
// A TorchScript architecture's module inside the model artifact.
inline constexpr std::string_view kScriptedModuleFile = "module.pt";
// The out-of-distribution detector inside the model artifact.
inline constexpr std::string_view kOodDetectorFile = "ood.safetensors";

struct ModelFiles {
  std::string safetensors;
  Json model_json;
  // module.pt, for architecture.arch "torchscript" only: the user's
  // TorchScript module, the code the weights belong to. Empty otherwise.
  std::string torchscript;
  // ood.safetensors (OodDetector::ToSafetensors): written by the train step
  // after training. Empty when the model has none (imported, trained with
  // `ood: false`, or trained before detectors existed).
  std::string ood;
};

}  // namespace citadel::ml
