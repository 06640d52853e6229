// Max pooling for forward passes that need no gradient: torch.nn.MaxPool2d
// with kernel = stride = `pool`, no padding, output sizes rounded down —
// the same values bit for bit, a NaN anywhere in a window giving NaN — but
// without the index of each maximum that torch 1.13's CPU kernel always
// records for a backward pass. That kernel was 65 % of the Fashion CNN's
// forward time at batch 32 (docs/benchmarks.md, tenth session).
#pragma once

#include <cstdint>

namespace citadel::ml::internal {

// `in` holds `planes` row-major images of height × width (an NCHW tensor's
// N·C planes); `out` gets planes × (height / pool) × (width / pool) values.
// pool ≥ 1; `out` must not overlap `in`.
void MaxPoolPlanes(const float* in, int64_t planes, int64_t height, int64_t width, int64_t pool,
                   float* out);

// The same, for training: also `argmax`, per output the offset within its
// plane of the value it took — the index torch records (the first maximum
// in scan order; the last NaN when there are NaNs).
void MaxPoolPlanesWithArgmax(const float* in, int64_t planes, int64_t height, int64_t width,
                             int64_t pool, float* out, int32_t* argmax);

// The backward pass: each output's gradient added to the input element it
// took. `grad_in` (planes × height × width) must hold zeros beforehand;
// `grad_out` and `argmax` hold planes × (height / pool) × (width / pool).
void MaxPoolBackwardPlanes(const float* grad_out, const int32_t* argmax, int64_t planes,
                           int64_t height, int64_t width, int64_t pool, float* grad_in);

}  // namespace citadel::ml::internal
