#include "workload/training/training_progress.h"

#include <gtest/gtest.h>

#include <cmath>

namespace citadel::workload {
namespace {

TEST(TrainingProgress, DurationsReadLikeAClock) {
  EXPECT_EQ(TrainingProgress::FormatDuration(0), "0s");
  EXPECT_EQ(TrainingProgress::FormatDuration(59.4), "59s");
  EXPECT_EQ(TrainingProgress::FormatDuration(185), "3m05s");
  EXPECT_EQ(TrainingProgress::FormatDuration(3720), "1h02m");
  EXPECT_EQ(TrainingProgress::FormatDuration(-1), "?");
  EXPECT_EQ(TrainingProgress::FormatDuration(std::nan("")), "?");
}

TEST(TrainingProgress, TheLiveLineShowsEpochStepLossThroughputAndEta) {
  ml::StepProgress p;
  p.step = 150;
  p.total_steps = 600;
  p.epoch = 2;
  p.batch = 50;
  p.batches = 100;
  p.loss = 0.12345;
  p.samples_per_second = 51234;
  EXPECT_EQ(TrainingProgress::Line(p, 95),
            "epoch 2/6 [#####...............] step 150/600 (25%) loss 0.1235 51234 samples/s "
            "ETA 1m35s");
}

}  // namespace
}  // namespace citadel::workload
