// The per-epoch learning rate; the formulas are written down in lr_schedule.h.
#include "ml/training/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace citadel::ml {

double LearningRateAt(const LrScheduleSpec& schedule, double lr, int64_t epochs, int64_t epoch) {
  const int64_t warmup = schedule.warmup_epochs;
  if (epoch <= warmup) return lr * static_cast<double>(epoch) / static_cast<double>(warmup);
  const int64_t p = epoch - warmup - 1;
  if (schedule.name == "step") {
    return lr * std::pow(schedule.gamma, static_cast<double>(p / schedule.step_size));
  }
  if (schedule.name == "cosine") {
    const double d = static_cast<double>(std::max<int64_t>(1, epochs - warmup));
    return schedule.min_lr + (lr - schedule.min_lr) *
                                 (1.0 + std::cos(std::numbers::pi * static_cast<double>(p) / d)) /
                                 2.0;
  }
  return lr;
}

}  // namespace citadel::ml
