#include "ml/training/memory_estimate.h"

#include <fmt/format.h>

#include <algorithm>

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

// A transformer over `length` tokens: its encoder's parameters and the
// activation values per sample (embeddings; per layer the q/k/v
// projections, attention weights per head, the attention output, two
// layer norms and the feed-forward block).
struct EncoderShape {
  uint64_t params = 0;
  uint64_t activations = 0;
};

EncoderShape Encoder(const ModelSpec& spec, int64_t length) {
  const TransformerSpec& t = spec.transformer;
  const auto d = static_cast<uint64_t>(t.d_model);
  const auto ff = static_cast<uint64_t>(t.FeedforwardWidth());
  const auto slots = static_cast<uint64_t>(length + 1);  // [CLS] and the tokens
  const auto vocab = static_cast<uint64_t>(std::max<int64_t>(t.vocab_size, 2));
  const auto layers = static_cast<uint64_t>(t.layers);
  EncoderShape out;
  // Attention: in_proj (3d × d + 3d) and out_proj (d × d + d); feed-forward
  // d × ff + ff + ff × d + d; two layer norms (2d each).
  const uint64_t per_layer = 4 * d * d + 4 * d + 2 * d * ff + ff + d + 4 * d;
  out.params = vocab * d + slots * d + d + layers * per_layer;
  out.activations = slots * d + layers * (slots * (8 * d + 2 * ff) +
                                          2 * static_cast<uint64_t>(t.heads) * slots * slots);
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
  if (spec.arch == "torchscript") {
    // Its layers are code: the archive is mostly its float32 weights.
    return spec.module.bytes.size() / sizeof(float);
  }
  if (spec.arch == "transformer") {
    params += Encoder(spec, features).params;
    in = spec.transformer.d_model;
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
  if (spec.model.arch == "transformer") per_sample += Encoder(spec.model, features).activations;
  if (spec.model.arch == "mlp" || spec.model.arch == "cnn") {
    for (int64_t width : spec.model.hidden) per_sample += 2 * static_cast<uint64_t>(width);
  }
  m.activations = 2 * per_sample * static_cast<uint64_t>(spec.batch_size) * kFloat;
  return m;
}

}  // namespace citadel::ml
