#include "ml/training/memory_estimate.h"

#include <fmt/format.h>

#include "base/text/byte_size.h"

namespace citadel::ml {

std::string TrainingMemory::Describe() const {
  return fmt::format("data {}, model and optimizer {}, activations {}", FormatByteSize(data),
                     FormatByteSize(model), FormatByteSize(activations));
}

namespace {

// A cnn's conv blocks: parameters, activation values per sample (conv,
// batch norm, ReLU and pool outputs), and the flattened width after them.
struct ConvShape {
  uint64_t params = 0;
  uint64_t activations = 0;
  int64_t flat = 0;
};

ConvShape ConvBlocks(const ModelSpec& spec) {
  ConvShape out;
  if (spec.input_shape.size() != 3) return out;
  int64_t channels = spec.input_shape[0], height = spec.input_shape[1], width = spec.input_shape[2];
  for (const ConvLayerSpec& c : spec.conv) {
    out.params += static_cast<uint64_t>(channels * c.kernel * c.kernel * c.channels + c.channels);
    const auto plane = static_cast<uint64_t>(c.channels * height * width);
    out.activations += plane * (c.batch_norm ? 3 : 2);
    if (c.batch_norm) out.params += 2 * static_cast<uint64_t>(c.channels);
    height /= c.pool;
    width /= c.pool;
    if (c.pool > 1) out.activations += static_cast<uint64_t>(c.channels * height * width);
    channels = c.channels;
  }
  out.flat = channels * height * width;
  return out;
}

}  // namespace

uint64_t CountParameters(const ModelSpec& spec, int64_t features, int64_t classes) {
  uint64_t params = 0;
  int64_t in = features;
  if (spec.arch == "cnn") {
    const ConvShape conv = ConvBlocks(spec);
    params += conv.params;
    in = conv.flat;
  }
  if (spec.arch == "mlp" || spec.arch == "cnn") {
    for (int64_t width : spec.hidden) {
      params += static_cast<uint64_t>(in) * static_cast<uint64_t>(width) + width;
      in = width;
    }
  }
  return params + static_cast<uint64_t>(in) * static_cast<uint64_t>(classes) + classes;
}

TrainingMemory EstimateTrainingMemory(const TrainSpec& spec, int64_t features, int64_t classes,
                                      uint64_t dataset_bytes) {
  constexpr uint64_t kFloat = sizeof(float);
  TrainingMemory m;
  m.data = 2 * dataset_bytes;
  const uint64_t params = CountParameters(spec.model, features, classes);
  uint64_t copies = 2;  // weights and gradients
  if (spec.optimizer.name == "adam" || spec.optimizer.name == "adamw") {
    copies += 2;
  } else if (spec.optimizer.momentum > 0) {
    copies += 1;
  }
  if (spec.early_stopping) copies += 1;
  m.model = params * copies * kFloat;
  // Per sample: the input, each hidden layer's output before and after its
  // activation, and the logits; doubled for their gradients.
  uint64_t per_sample = static_cast<uint64_t>(features) + static_cast<uint64_t>(classes);
  if (spec.model.arch == "cnn") per_sample += ConvBlocks(spec.model).activations;
  if (spec.model.arch == "mlp" || spec.model.arch == "cnn") {
    for (int64_t width : spec.model.hidden) per_sample += 2 * static_cast<uint64_t>(width);
  }
  m.activations = 2 * per_sample * static_cast<uint64_t>(spec.batch_size) * kFloat;
  return m;
}

}  // namespace citadel::ml
