// Conversions between safetensors bytes and torch tensors (torch inside).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "formats/safetensors.h"
#include "ml/dataset_view.h"
#include "ml/torch/pch.h"

namespace citadel::ml::internal {

// Copies a safetensors tensor into an owning torch tensor of the same dtype.
Result<torch::Tensor> ToTorch(const formats::TensorView& view, std::string_view source);

// Contiguous little-endian bytes of a float32 tensor (x86-64 and aarch64 are
// little-endian; safetensors is defined as little-endian).
std::string Float32Bytes(const torch::Tensor& tensor);

struct DatasetTensors {
  torch::Tensor features;  // F32 [rows, features]
  torch::Tensor labels;    // I64 [rows]
  torch::Tensor row_ids;   // I64 [rows]
  std::vector<std::string> feature_names;
  std::vector<std::string> classes;
  std::string label_name;
  Json preprocessing = Json::array();
  Json input = Json::object();  // raw input columns (name, type) before preprocessing
};

// Validates shapes against schema.json and class indices against the class list.
Result<DatasetTensors> LoadDataset(const DatasetView& view);

// Runs `body`, turning torch (c10::Error), JSON and std exceptions into a Status
// with `context` — the one place the ml boundary catches.
template <typename F>
Status CatchTorch(std::string_view context, F&& body) {
  try {
    return body();
  } catch (const c10::Error& e) {
    return InternalError(std::string(context) + ": " + e.what_without_backtrace());
  } catch (const Json::exception& e) {
    // A model.json / schema.json field of the wrong type: bad input, not a bug.
    return InvalidArgumentError(std::string(context) + ": malformed JSON field: " + e.what());
  } catch (const std::invalid_argument& e) {
    // Thrown by our own modules for input they cannot take (a token id out
    // of the vocabulary): the caller's data, not a bug.
    return InvalidArgumentError(std::string(context) + ": " + e.what());
  } catch (const std::exception& e) {
    return InternalError(std::string(context) + ": " + e.what());
  }
}

}  // namespace citadel::ml::internal
