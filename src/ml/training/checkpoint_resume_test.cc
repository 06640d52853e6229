// Checkpoints and resume in the training loop: a run interrupted at any step
// and resumed from its snapshot ends with the same weights, bit for bit, as
// one that ran straight through — for every optimizer, with dropout (torch's
// RNG), lr schedules, early stopping and mid-epoch stops. Bad checkpoints are
// refused; a diverged state is never snapshotted.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <map>

#include "ml/test_datasets.h"
#include "ml/training/trainer.h"

namespace citadel::ml {
namespace {

using testing::Blobs;
using testing::TensorValues;

TrainSpec Mlp(const std::string& optimizer) {
  TrainSpec s;
  s.model.arch = "mlp";
  s.model.hidden = {16, 8};
  s.model.dropout = 0.25;  // draws from torch's global generator
  s.optimizer.name = optimizer;
  s.optimizer.lr = optimizer == "sgd" ? 0.05 : 0.01;
  if (optimizer == "sgd") {
    s.optimizer.momentum = 0.9;
    s.optimizer.nesterov = true;
    s.optimizer.weight_decay = 1e-4;
  }
  s.lr_schedule.name = "cosine";
  s.lr_schedule.warmup_epochs = 1;
  s.epochs = 4;
  s.batch_size = 16;  // 150 rows: 10 steps per epoch, the last one short
  s.seed = 5;
  return s;
}

// Every snapshot handed over, serialized, by step.
struct Collected {
  std::map<int64_t, std::string> bytes;
  std::vector<bool> final;
};

TrainHooks Collecting(Collected& out, const std::atomic<int>* interrupt = nullptr) {
  TrainHooks hooks;
  hooks.interrupt = interrupt;
  hooks.on_checkpoint = [&out](std::unique_ptr<CheckpointSnapshot> snap, bool final) -> Status {
    ASSIGN_OR_RETURN(std::string bytes, snap->Serialize());
    out.bytes[snap->step()] = std::move(bytes);
    out.final.push_back(final);
    return Status::Ok();
  };
  return hooks;
}

ModelFiles Straight(const TrainSpec& spec, const DatasetView& data,
                    const DatasetView* validation = nullptr) {
  TrainHooks none;
  auto model = Train(spec, data, validation, none);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? *model : ModelFiles{};
}

void ExpectSameModel(const ModelFiles& a, const ModelFiles& b, const std::string& what) {
  EXPECT_TRUE(a.safetensors == b.safetensors) << what << ": weights differ";
  EXPECT_EQ(a.model_json.dump(), b.model_json.dump()) << what;
}

class ResumeEveryOptimizer : public ::testing::TestWithParam<std::string> {};

TEST_P(ResumeEveryOptimizer, ResumingFromAnyCheckpointGivesTheUninterruptedWeights) {
  const TrainSpec spec = Mlp(GetParam());
  const DatasetView data = Blobs(150, 3);
  const ModelFiles reference = Straight(spec, data);

  // A checkpoint after every step: mid-epoch ones and epoch boundaries.
  Collected collected;
  TrainHooks hooks = Collecting(collected);
  hooks.checkpoint.every_steps = 1;
  auto checkpointed = Train(spec, data, nullptr, hooks);
  ASSERT_TRUE(checkpointed.ok()) << checkpointed.status().ToString();
  ExpectSameModel(*checkpointed, reference, "checkpointing must not change training");
  ASSERT_EQ(collected.bytes.size(), 39u) << "40 steps, none after the last";

  for (int64_t step : {1, 7, 10, 11, 23, 30, 39}) {
    SCOPED_TRACE(step);
    TrainHooks resume;
    std::vector<EpochMetrics> replayed;
    resume.on_resume = [&](const std::vector<EpochMetrics>& done, double) {
      replayed = done;
      return Status::Ok();
    };
    resume.resume_from = collected.bytes.at(step);
    auto resumed = Train(spec, data, nullptr, resume);
    ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
    ExpectSameModel(*resumed, reference, "resumed at step " + std::to_string(step));
    EXPECT_EQ(replayed.size(), static_cast<size_t>(step / 10)) << "completed epochs carried over";
  }
}

INSTANTIATE_TEST_SUITE_P(Optimizers, ResumeEveryOptimizer,
                         ::testing::Values("adam", "adamw", "sgd"));

TEST(Checkpoint, AChainOfInterruptionsStillEndsWithTheSameWeights) {
  const TrainSpec spec = Mlp("adam");
  const DatasetView data = Blobs(150, 3);
  const ModelFiles reference = Straight(spec, data);

  // Interrupt after 6 steps, resume, interrupt again 13 steps later, resume.
  std::string resume_from;
  for (int64_t stop_after : {6, 13}) {
    std::atomic<int> interrupt{0};
    Collected collected;
    TrainHooks hooks = Collecting(collected, &interrupt);
    hooks.resume_from = resume_from;
    int64_t steps_here = 0;
    hooks.on_step = [&](const StepProgress&) {
      if (++steps_here == stop_after) interrupt.store(SIGTERM);
    };
    auto result = Train(spec, data, nullptr, hooks);
    ASSERT_EQ(result.status().code(), StatusCode::kCancelled) << result.status().ToString();
    EXPECT_NE(result.status().message().find("signal 15"), std::string::npos)
        << result.status().ToString();
    ASSERT_EQ(collected.final, std::vector<bool>{true}) << "one final checkpoint";
    resume_from = collected.bytes.rbegin()->second;
  }
  TrainHooks last;
  last.resume_from = resume_from;
  auto resumed = Train(spec, data, nullptr, last);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  ExpectSameModel(*resumed, reference, "after two interruptions");
}

TEST(Checkpoint, EarlyStoppingStateSurvivesAResume) {
  TrainSpec spec = Mlp("adam");
  spec.model.hidden = {64, 64};
  spec.epochs = 60;
  spec.early_stopping = EarlyStoppingSpec{.metric = "val_loss", .patience = 3, .min_delta = 0.0};
  testing::BlobOptions noisy;
  noisy.spread = 1.0;
  noisy.label_noise = 0.4;
  const DatasetView train = testing::BlobsWithCounts({30, 30, 30}, 21, noisy);
  const DatasetView val = testing::BlobsWithCounts({30, 30, 30}, 22, noisy);
  const ModelFiles reference = Straight(spec, train, &val);
  ASSERT_TRUE(reference.model_json["training"]["early_stopping"]["stopped_early"].get<bool>());
  const int64_t stopped = reference.model_json["training"]["early_stopping"]["stopped_epoch"];

  Collected collected;
  TrainHooks hooks = Collecting(collected);
  hooks.checkpoint.every_steps = 6;  // 6 steps per epoch: every epoch boundary
  ASSERT_TRUE(Train(spec, train, &val, hooks).ok());
  ASSERT_GE(collected.bytes.size(), 3u);
  // Resume from the checkpoint two epochs before the stop: best weights,
  // patience count and best value must all have been saved.
  const int64_t step = (stopped - 2) * 6;
  ASSERT_TRUE(collected.bytes.count(step)) << step;
  TrainHooks resume;
  resume.resume_from = collected.bytes.at(step);
  auto resumed = Train(spec, train, &val, resume);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  ExpectSameModel(*resumed, reference, "early stopping resumed");
}

TEST(Checkpoint, EveryNStepsMeansEveryNOptimizerSteps) {
  const TrainSpec spec = Mlp("sgd");
  Collected collected;
  TrainHooks hooks = Collecting(collected);
  hooks.checkpoint.every_steps = 7;
  ASSERT_TRUE(Train(spec, Blobs(150, 3), nullptr, hooks).ok());
  std::vector<int64_t> steps;
  for (const auto& [step, unused] : collected.bytes) steps.push_back(step);
  EXPECT_EQ(steps, (std::vector<int64_t>{7, 14, 21, 28, 35}));
}

TEST(Checkpoint, RefusesACheckpointOfAnotherSpecOrDamagedBytes) {
  const TrainSpec spec = Mlp("adam");
  const DatasetView data = Blobs(150, 3);
  Collected collected;
  TrainHooks hooks = Collecting(collected);
  hooks.checkpoint.every_steps = 15;
  ASSERT_TRUE(Train(spec, data, nullptr, hooks).ok());
  const std::string good = collected.bytes.at(15);

  TrainSpec other = spec;
  other.batch_size = 32;
  TrainHooks resume;
  resume.resume_from = good;
  auto wrong_spec = Train(other, data, nullptr, resume);
  EXPECT_EQ(wrong_spec.status().code(), StatusCode::kDataLoss) << wrong_spec.status().ToString();
  EXPECT_NE(wrong_spec.status().message().find("different train spec"), std::string::npos)
      << wrong_spec.status().ToString();

  auto wrong_data = Train(spec, Blobs(151, 3), nullptr, resume);
  EXPECT_EQ(wrong_data.status().code(), StatusCode::kDataLoss) << "another row count";

  std::string truncated = good.substr(0, good.size() - 9);
  resume.resume_from = truncated;
  auto damaged = Train(spec, data, nullptr, resume);
  EXPECT_EQ(damaged.status().code(), StatusCode::kDataLoss) << damaged.status().ToString();
  EXPECT_NE(damaged.status().message().find("cannot resume from the checkpoint"),
            std::string::npos);

  resume.resume_from = "not a checkpoint at all";
  EXPECT_EQ(Train(spec, data, nullptr, resume).status().code(), StatusCode::kDataLoss);
}

TEST(Checkpoint, ADivergingRunStopsWithoutSnapshottingTheDivergedState) {
  TrainSpec spec = Mlp("sgd");
  spec.model.dropout = 0;
  spec.optimizer.lr = 0.01;
  spec.optimizer.nesterov = false;
  spec.optimizer.momentum = 0;
  // A rate that grows a thousandfold per epoch: sane in epoch 1, explosive
  // soon after. (A spec cannot ask for gamma > 1; the struct can.)
  spec.lr_schedule = LrScheduleSpec{};
  spec.lr_schedule.name = "step";
  spec.lr_schedule.gamma = 1000;
  spec.epochs = 50;
  Collected collected;
  TrainHooks hooks = Collecting(collected);
  hooks.checkpoint.every_steps = 1;
  auto result = Train(spec, Blobs(150, 3, 0.5, 10.0), nullptr, hooks);
  ASSERT_EQ(result.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(result.status().message().find("diverged"), std::string::npos)
      << result.status().ToString();
  EXPECT_GE(collected.bytes.size(), 10u) << "epoch 1 was sane and checkpointed";
  EXPECT_LT(collected.bytes.size(), 49u * 10u) << "it diverged long before the end";
  // Every checkpoint that was taken holds finite weights only.
  for (const auto& [step, bytes] : collected.bytes) {
    auto file = formats::SafetensorsFile::Parse(bytes, "checkpoint");
    ASSERT_TRUE(file.ok());
    for (const formats::TensorView& t : file->tensors()) {
      if (t.name.rfind("model/", 0) != 0) continue;
      for (float v : TensorValues<float>(bytes, t.name)) {
        ASSERT_TRUE(std::isfinite(v)) << "step " << step << " " << t.name;
      }
    }
  }
}

TEST(Checkpoint, ProgressReportsEveryStepWithTotals) {
  const TrainSpec spec = Mlp("adam");
  TrainHooks hooks;
  std::vector<StepProgress> seen;
  hooks.on_step = [&](const StepProgress& p) { seen.push_back(p); };
  ASSERT_TRUE(Train(spec, Blobs(150, 3), nullptr, hooks).ok());
  ASSERT_EQ(seen.size(), 40u);
  EXPECT_EQ(seen.front().step, 1);
  EXPECT_EQ(seen.back().step, 40);
  EXPECT_EQ(seen.back().total_steps, 40);
  EXPECT_EQ(seen[9].epoch, 1);
  EXPECT_EQ(seen[9].batch, 10);
  EXPECT_EQ(seen[10].epoch, 2);
  EXPECT_EQ(seen[10].batch, 1);
  EXPECT_EQ(seen[10].batches, 10);
  for (const StepProgress& p : seen) EXPECT_TRUE(std::isfinite(p.loss));
}

}  // namespace
}  // namespace citadel::ml
