#include "ml/torch/token_encoder.h"

#include <fmt/format.h>

#include <stdexcept>

namespace citadel::ml::internal {

TokenEncoderImpl::TokenEncoderImpl(const TransformerSpec& spec, int64_t length, double dropout)
    : vocab_size_(spec.vocab_size), length_(length) {
  const int64_t d = spec.d_model;
  token_ = register_module(
      "token", torch::nn::Embedding(torch::nn::EmbeddingOptions(vocab_size_, d).padding_idx(0)));
  // Small random starts (BERT's 0.02) from torch's seeded generator, so a
  // run is reproducible like every other architecture's.
  cls_ = register_parameter("cls", torch::randn({1, 1, d}) * 0.02);
  position_ = register_parameter("position", torch::randn({length + 1, d}) * 0.02);
  torch::nn::TransformerEncoderLayerOptions layer(d, spec.heads);
  layer.dim_feedforward(spec.FeedforwardWidth()).dropout(dropout);
  encoder_ = register_module(
      "encoder",
      torch::nn::TransformerEncoder(torch::nn::TransformerEncoderOptions(layer, spec.layers)));
}

torch::Tensor TokenEncoderImpl::forward(const torch::Tensor& ids) {
  if (ids.dim() != 2 || ids.size(1) != length_) {
    throw std::invalid_argument(fmt::format("expected token ids of shape [batch, {}], got {}",
                                            length_, fmt::join(ids.sizes(), " x ")));
  }
  // Ids arrive as float32 features: they must be whole numbers in range,
  // or the lookup would silently read another token's row.
  const torch::Tensor bad = (ids < 0) | (ids >= static_cast<double>(vocab_size_)) |
                            (ids != torch::floor(ids)) | torch::isnan(ids);
  if (bad.any().item<bool>()) {
    const torch::Tensor at = bad.nonzero()[0];
    const int64_t row = at[0].item<int64_t>(), col = at[1].item<int64_t>();
    throw std::invalid_argument(fmt::format(
        "row {}, position {}: token id {} is not a whole number in [0, {}) (the model's "
        "vocabulary)",
        row, col, ids[row][col].item<float>(), vocab_size_));
  }
  const torch::Tensor tokens = ids.to(torch::kLong);
  const int64_t batch = tokens.size(0);
  // [batch, length + 1, d]: [CLS] then the tokens, each plus its position.
  torch::Tensor h = torch::cat({cls_.expand({batch, 1, cls_.size(2)}), token_(tokens)}, 1) +
                    position_.unsqueeze(0);
  // Padding (id 0) is masked out of attention and of the mean; [CLS] never is.
  const torch::Tensor padding =
      torch::cat({torch::zeros({batch, 1}, tokens.options().dtype(torch::kBool)), tokens == 0}, 1);
  // PyTorch's encoder wants [length, batch, d].
  h = encoder_(h.transpose(0, 1), torch::Tensor(), padding).transpose(0, 1);
  const torch::Tensor keep = (~padding).unsqueeze(2).to(h.dtype());
  return (h * keep).sum(1) / keep.sum(1);
}

}  // namespace citadel::ml::internal
