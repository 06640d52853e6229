// A dataset artifact as the ml module consumes it: the bytes of
// data.safetensors and the parsed schema.json (docs/formats/dataset.md).
// No torch here; the tensors are materialised inside src/ml.
#pragma once

#include <string>

#include "base/text/json.h"

namespace citadel::ml {

struct DatasetView {
  std::string name;         // for messages: artifact id or path
  std::string safetensors;  // data.safetensors
  Json schema;              // schema.json
};

}  // namespace citadel::ml
