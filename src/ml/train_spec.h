// What a `kind: train` step asks for: the model architecture, the optimizer,
// and the loop settings. Plain data, no torch: other modules include this.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "base/text/spec_reader.h"

namespace citadel::ml {

struct ModelSpec {
  std::string arch = "mlp";     // "logreg" | "mlp"
  std::vector<int64_t> hidden;  // mlp: widths of the hidden layers
  double dropout = 0.0;         // mlp: after each hidden activation
};

struct OptimizerSpec {
  std::string name = "adam";  // "sgd" | "adam"
  double lr = 1e-3;
  double momentum = 0.0;  // sgd
  double weight_decay = 0.0;
};

struct TrainSpec {
  ModelSpec model;
  OptimizerSpec optimizer;
  int64_t epochs = 10;
  int64_t batch_size = 64;
  uint64_t seed = 0;
  int threads = 1;  // intra-op threads; part of the recorded environment
};

// Reads model, optimizer, epochs, batch_size, seed and resources.threads from
// a train step. Other fields must be named in `extra_known`.
Result<TrainSpec> ParseTrainSpec(const SpecReader& step,
                                 std::initializer_list<std::string_view> extra_known);

Json ModelSpecToJson(const ModelSpec& spec);
Json OptimizerSpecToJson(const OptimizerSpec& spec);

}  // namespace citadel::ml
