#include "ml/training/token_ids.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "formats/safetensors.h"

namespace citadel::ml {

namespace {

constexpr float kMaxTokenId = 16777216.0f;  // 2^24: float32 counts exactly below it

std::string FeatureName(const DatasetView& data, int64_t column) {
  const Json& names = data.schema.is_object() && data.schema.contains("features")
                          ? data.schema["features"]
                          : Json();
  if (names.is_array() && column < static_cast<int64_t>(names.size()) &&
      names[static_cast<size_t>(column)].is_string()) {
    return names[static_cast<size_t>(column)].get<std::string>();
  }
  return fmt::format("#{}", column);
}

}  // namespace

Result<int64_t> LargestTokenId(const DatasetView& data) {
  ASSIGN_OR_RETURN(formats::SafetensorsFile file,
                   formats::SafetensorsFile::ParseBorrowed(data.safetensors, data.name));
  ASSIGN_OR_RETURN(const formats::TensorView* features, file.Get("features"));
  if (features->dtype != formats::DType::kF32 || features->shape.size() != 2) {
    return InvalidArgumentError(fmt::format("{}: features must be a float32 matrix", data.name));
  }
  const int64_t rows = features->shape[0], cols = features->shape[1];
  float largest = -1;
  const char* bytes = features->data.data();
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      float v;
      std::memcpy(&v, bytes + (r * cols + c) * sizeof(float), sizeof(float));
      // NaN fails every comparison, so it lands here too.
      if (!(v >= 0 && v < kMaxTokenId && v == std::floor(v))) {
        return InvalidArgumentError(fmt::format(
            "{}: row {}, feature '{}' is {}, not a token id; a transformer reads whole numbers "
            "in [0, 2^24) such as the text op's mode: sequence writes (0 = padding)",
            data.name, r, FeatureName(data, c), v));
      }
      largest = std::max(largest, v);
    }
  }
  return static_cast<int64_t>(largest);
}

Status ResolveTokenVocabulary(TrainSpec& spec, const DatasetView& train,
                              const DatasetView* validation) {
  if (spec.model.arch != "transformer") return Status::Ok();
  ASSIGN_OR_RETURN(int64_t largest, LargestTokenId(train));
  const DatasetView* largest_in = &train;
  if (validation != nullptr) {
    ASSIGN_OR_RETURN(int64_t v, LargestTokenId(*validation));
    if (v > largest) {
      largest = v;
      largest_in = validation;
    }
  }
  int64_t& vocab = spec.model.transformer.vocab_size;
  if (vocab == 0) {
    vocab = std::max<int64_t>(largest + 1, 2);
    return Status::Ok();
  }
  if (largest >= vocab) {
    return InvalidArgumentError(fmt::format(
        "{} holds token id {} but model.vocab_size is {}; raise vocab_size to at least {} or "
        "leave it out (it is then the largest id + 1)",
        largest_in->name, largest, vocab, largest + 1));
  }
  return Status::Ok();
}

}  // namespace citadel::ml
