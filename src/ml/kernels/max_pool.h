// Max pooling as torch.nn.MaxPool2d does it with kernel = stride = `pool`,
// no padding, output sizes rounded down — the same values bit for bit, a
// NaN anywhere in a window giving NaN: MaxPoolPlanes for forward passes that
// need no gradient (torch 1.13's CPU kernel records each maximum's index
// even then, and was 65 % of the Fashion CNN's forward time at batch 32:
// docs/benchmarks.md, tenth session), MaxPoolPlanesWithArgmax and
// MaxPoolBackwardPlanes for training (the indices torch records, and the
// gradients it computes from them).
//
// Offsets within a plane are int32: height × width must be below 2³¹
// (the torch module, ml/torch/max_pool.h, leaves larger planes to torch).
#pragma once

#include <cstdint>
#include <vector>

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

// The variants both choose from for pool = 2, for tests and benchmarks:
// each one this machine runs, by name ("avx512", "baseline"), and
// MaxPoolPlanes (argmax null) or MaxPoolPlanesWithArgmax through the named
// one (false when it does not run here).
std::vector<const char*> MaxPoolVariants();
bool MaxPoolPlanesWith(const char* variant, const float* in, int64_t planes, int64_t height,
                       int64_t width, int64_t pool, float* out, int32_t* argmax = nullptr);

}  // namespace citadel::ml::internal
