// The learning rate of each epoch under a LrScheduleSpec. Torch-free and a
// pure function of the epoch number, so that a run resumed from a checkpoint
// at epoch e continues with exactly the rates it would have used.
//
// With W = warmup_epochs, E = epochs, lr = the optimizer's lr and epochs
// numbered 1..E (the rate is set once, before an epoch's first batch):
//   warm-up, e <= W:  lr * e / W            (lr/W, 2·lr/W, …, lr)
//   after it, with p = e - W - 1 (0, 1, …) and D = E - W epochs left:
//     constant:  lr
//     step:      lr * gamma^floor(p / step_size)
//     cosine:    min_lr + (lr - min_lr) * (1 + cos(pi * p / D)) / 2
// The cosine rate starts at lr and approaches min_lr without reaching it on
// the last epoch (PyTorch's CosineAnnealingLR with T_max = D).
#pragma once

#include <cstdint>

#include "ml/training/train_spec.h"

namespace citadel::ml {

// `epoch` is 1-based and at most `epochs`.
double LearningRateAt(const LrScheduleSpec& schedule, double lr, int64_t epochs, int64_t epoch);

}  // namespace citadel::ml
