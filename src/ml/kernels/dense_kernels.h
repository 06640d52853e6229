// The arithmetic of a fully connected network's forward pass, without torch:
// affine layers (optionally followed by ReLU) and a row-wise softmax.
//
// Batch-invariant by construction: every output value is summed in one
// fixed order that depends only on the layer's width, never on how many
// rows are computed together or where a row sits in the batch. A row's
// probabilities are therefore bit-identical whether it is predicted alone,
// in a server's dynamic batch of strangers, or in `kind: predict` over a
// whole dataset. (torch's matrix products do not promise this: OpenBLAS
// picks its blocking by the batch's shape, and a row's last bits change with
// the rows beside it.) Across machines too: the file is compiled without
// multiply-add fusion, the AVX2 and baseline variants do the same
// operations lane by lane, and the softmax's exp is taken in double.
#pragma once

#include <cstdint>

namespace citadel::ml::internal {

// y[r·out + o] = bias[o] + Σ_i w[o·in + i] · x[r·in + i] for r < rows, o <
// out; with `relu`, negative results become 0 (NaN stays NaN, as in torch).
// x: rows × in, w: out × in (torch's Linear layout), y: rows × out, all
// row-major; y must not overlap x.
void AffineRows(const float* x, int64_t rows, int64_t in, const float* w, const float* bias,
                int64_t out, bool relu, float* y);

// Each row of `z` (rows × width) becomes softmax(row), in place: exp(z − max)
// normalised by its sum, summed left to right.
void SoftmaxRows(float* z, int64_t rows, int64_t width);

}  // namespace citadel::ml::internal
