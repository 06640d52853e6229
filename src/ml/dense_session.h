// The inference session of the fully connected architectures (`mlp`,
// `logreg`), computed without torch (kernels/dense_kernels.h).
//
// Why not torch: a forward pass through torch costs ~22 µs of dispatch for
// a one-row request to a small MLP, most of an inference server's budget
// (docs/benchmarks.md, serving), and torch's products make a row's last bits
// depend on the rows batched with it. This session answers a row the same
// whatever it is batched with, in a server or in `kind: predict`, and a
// server of such models never loads libtorch at all.
//
// The network is rebuilt from model.json's architecture exactly as the
// trainer's torch::nn::Sequential names it ("0.weight", "0.bias", then one
// index per ReLU and Dropout module), and model.safetensors must hold exactly
// those tensors, F32, with the architecture's shapes.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "ml/inference_session.h"
#include "ml/model_files.h"

namespace citadel::ml {

// True when model.json's architecture.arch is one this session computes.
bool IsDenseArchitecture(const Json& model_json);

// An mlp's hidden widths and dropout rate from model.json's architecture
// (none for logreg), checked field by field: model.json comes from outside
// the process. Also how the torch network is rebuilt for these
// architectures. InvalidArgument naming `source` and the field.
struct DenseArchitecture {
  std::vector<int64_t> hidden;
  double dropout = 0;  // > 0: each hidden block has a Dropout module
};
Result<DenseArchitecture> ReadDenseArchitecture(const Json& architecture, std::string_view source);

// InvalidArgument naming `source` and the field or tensor when model.json or
// the weights do not describe such a network.
Result<std::unique_ptr<InferenceSession>> LoadDenseSession(const ModelFiles& files,
                                                           std::string_view source);

}  // namespace citadel::ml
