// TokenEncoder: the body of the transformer architecture (train_spec.h,
// TransformerSpec): token ids [batch, length] in, one pooled vector
// [batch, d_model] out, for the linear classifier that follows it in the
// network. Parameter names (prefixed by the network's index, "0."):
//   token.weight            [vocab_size, d_model], row 0 (padding) stays zero
//   cls                     [1, 1, d_model]
//   position                [length + 1, d_model] ([CLS] first)
//   encoder.layers.K.…      PyTorch's TransformerEncoderLayer names
#pragma once

#include "ml/torch/pch.h"
#include "ml/training/train_spec.h"

namespace citadel::ml::internal {

class TokenEncoderImpl : public torch::nn::Module {
 public:
  TokenEncoderImpl(const TransformerSpec& spec, int64_t length, double dropout);

  // `ids`: float token ids as stored in datasets. Throws std::invalid_argument
  // (a bad request, not a bug) naming the offending value when an id is not
  // a whole number in [0, vocab_size).
  torch::Tensor forward(const torch::Tensor& ids);

 private:
  int64_t vocab_size_;
  int64_t length_;
  torch::nn::Embedding token_{nullptr};
  torch::Tensor cls_;
  torch::Tensor position_;
  torch::nn::TransformerEncoder encoder_{nullptr};
};
TORCH_MODULE(TokenEncoder);

}  // namespace citadel::ml::internal
