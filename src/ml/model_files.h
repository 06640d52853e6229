// A trained model as files: model.safetensors (weights, F32) and model.json
// (architecture, input/output schema, preprocessing, training settings).
// Format: docs/formats/model.md.
#pragma once

#include <string>

#include "base/text/json.h"

namespace citadel::ml {

inline constexpr std::string_view kModelFormat = "citadel.model/v1";

struct ModelFiles {
  std::string safetensors;
  Json model_json;
};

}  // namespace citadel::ml
