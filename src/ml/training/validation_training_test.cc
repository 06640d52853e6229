// Class weights, validation, early stopping, what model.json records about
// training, and determinism with every option on.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "ml/batch_inference.h"
#include "ml/inference_session.h"
#include "ml/test_datasets.h"
#include "ml/training/trainer.h"

namespace citadel::ml {
namespace {

using testing::BlobOptions;
using testing::Blobs;
using testing::BlobsWithCounts;
using testing::RecordEpochs;
using testing::TensorValues;

TrainSpec Logreg(uint64_t seed) {
  TrainSpec s;
  s.model.arch = "logreg";
  s.optimizer.name = "adam";
  s.optimizer.lr = 0.05;
  s.epochs = 20;
  s.batch_size = 32;
  s.seed = seed;
  return s;
}

// An MLP with far more parameters than a small noisy training set needs:
// it memorises the noise, so its validation loss falls, then rises.
TrainSpec Overfitting(uint64_t seed) {
  TrainSpec s;
  s.model.arch = "mlp";
  s.model.hidden = {128, 128};
  s.optimizer.name = "adam";
  s.optimizer.lr = 0.001;
  s.epochs = 300;
  s.batch_size = 30;
  s.seed = seed;
  s.early_stopping = EarlyStoppingSpec{.metric = "val_loss", .patience = 5, .min_delta = 0.0};
  return s;
}

DatasetView NoisyTrain() {
  BlobOptions noisy;
  noisy.spread = 1.0;
  noisy.label_noise = 0.4;
  return BlobsWithCounts({30, 30, 30}, 21, noisy);
}

// Recall of `cls` by a trained model on `data`.
double Recall(const ModelFiles& model, const DatasetView& data, int64_t cls) {
  auto session = InferenceSession::Load(model, "m");
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  if (!session.ok()) return -1;
  const std::vector<float> x = TensorValues<float>(data.safetensors, "features");
  const std::vector<int64_t> y = TensorValues<int64_t>(data.safetensors, "labels");
  auto probs = (*session)->PredictProbabilities(x, static_cast<int64_t>(y.size()));
  EXPECT_TRUE(probs.ok());
  int hits = 0;
  int total = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    if (y[i] != cls) continue;
    ++total;
    const float* p = probs->data() + i * 3;
    hits += (std::max_element(p, p + 3) - p) == cls;
  }
  return static_cast<double>(hits) / total;
}

// Mean cross-entropy of a trained model on `data`, from its probabilities.
double MeanCrossEntropy(const ModelFiles& model, const DatasetView& data) {
  auto session = InferenceSession::Load(model, "m");
  EXPECT_TRUE(session.ok());
  if (!session.ok()) return -1;
  const std::vector<float> x = TensorValues<float>(data.safetensors, "features");
  const std::vector<int64_t> y = TensorValues<int64_t>(data.safetensors, "labels");
  auto probs = (*session)->PredictProbabilities(x, static_cast<int64_t>(y.size()));
  EXPECT_TRUE(probs.ok());
  double sum = 0;
  for (size_t i = 0; i < y.size(); ++i) sum -= std::log(double((*probs)[i * 3 + y[i]]));
  return sum / static_cast<double>(y.size());
}

TEST(ClassWeights, BalancedWeightsAreSamplesOverClassesTimesCount) {
  TrainSpec spec = Logreg(1);
  spec.epochs = 2;
  spec.class_weights.balanced = true;
  auto model = Train(spec, BlobsWithCounts({60, 30, 10}, 1), nullptr);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const Json& recorded = model->model_json["training"]["class_weights"];
  EXPECT_EQ(recorded["mode"], "balanced");
  // 100 rows, 3 classes: 100/(3·60), 100/(3·30), 100/(3·10).
  const std::vector<double> expected = {100.0 / 180, 100.0 / 90, 100.0 / 30};
  ASSERT_EQ(recorded["weights"].size(), 3u);
  for (size_t c = 0; c < 3; ++c) {
    EXPECT_DOUBLE_EQ(recorded["weights"][c].get<double>(), expected[c]);
  }
}

TEST(ClassWeights, BalancedWeightsRaiseMinorityRecall) {
  // Class z is 1 row in 31 and overlaps the others: unweighted, the model
  // mostly gives up on it; balanced weights make its errors cost 10× more.
  BlobOptions overlapping;
  overlapping.spread = 1.2;
  const DatasetView train = BlobsWithCounts({300, 300, 20}, 3, overlapping);
  const DatasetView test = BlobsWithCounts({200, 200, 200}, 4, overlapping);
  auto plain = Train(Logreg(2), train, nullptr);
  TrainSpec weighted_spec = Logreg(2);
  weighted_spec.class_weights.balanced = true;
  auto weighted = Train(weighted_spec, train, nullptr);
  ASSERT_TRUE(plain.ok() && weighted.ok());
  const double plain_recall = Recall(*plain, test, 2);
  const double weighted_recall = Recall(*weighted, test, 2);
  EXPECT_GT(weighted_recall, plain_recall + 0.2)
      << "unweighted " << plain_recall << ", balanced " << weighted_recall;
}

TEST(ClassWeights, ListOfTheWrongLengthNamesBothCounts) {
  TrainSpec spec = Logreg(1);
  spec.class_weights.values = {1.0, 2.0};
  auto model = Train(spec, Blobs(30, 1), nullptr);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(model.status().message().find("class_weights has 2 weights but training dataset "
                                          "blobs has 3 classes (x, y, z)"),
            std::string::npos)
      << model.status().message();
}

TEST(ClassWeights, BalancedRefusesAClassWithoutTrainingRows) {
  TrainSpec spec = Logreg(1);
  spec.class_weights.balanced = true;
  auto model = Train(spec, BlobsWithCounts({10, 10, 0}, 1), nullptr);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("class 'z', which has no rows"), std::string::npos)
      << model.status().message();
}

TEST(EarlyStopping, StopsWhenValidationLossRisesAndKeepsTheBestEpoch) {
  const DatasetView validation = Blobs(150, 22, 1.0);
  const TrainSpec spec = Overfitting(3);
  std::vector<EpochMetrics> epochs;
  auto model = Train(spec, NoisyTrain(), RecordEpochs(epochs), &validation);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const Json& record = model->model_json["training"]["early_stopping"];
  const int64_t best_epoch = record["best_epoch"].get<int64_t>();
  const int64_t stopped = record["stopped_epoch"].get<int64_t>();
  EXPECT_TRUE(record["stopped_early"].get<bool>());
  EXPECT_LT(stopped, spec.epochs);
  EXPECT_EQ(stopped, best_epoch + spec.early_stopping->patience);
  ASSERT_EQ(static_cast<int64_t>(epochs.size()), stopped);
  EXPECT_EQ(model->model_json["training"]["epochs_run"], stopped);

  // The best epoch is the first with the lowest validation loss, after the
  // loss first fell…
  ASSERT_GE(best_epoch, 1);
  EXPECT_GT(best_epoch, 1) << "validation loss should fall before it rises";
  const double best = record["best_value"].get<double>();
  EXPECT_EQ(*epochs[static_cast<size_t>(best_epoch - 1)].val_loss, best);
  for (const EpochMetrics& m : epochs) {
    ASSERT_TRUE(m.val_loss.has_value());
    if (m.epoch < best_epoch) {
      EXPECT_GT(*m.val_loss, best) << m.epoch;
    } else if (m.epoch > best_epoch) {
      EXPECT_GE(*m.val_loss, best) << m.epoch;
    }
  }
  EXPECT_GT(*epochs.back().val_loss, best) << "validation loss rose after the best epoch";
  // …and the weights handed back are that epoch's, not the last one's.
  EXPECT_NEAR(MeanCrossEntropy(*model, validation), best, 1e-4);
}

TEST(EarlyStopping, OnValidationAccuracyKeepsTheMostAccurateEpoch) {
  const DatasetView validation = Blobs(150, 22, 1.0);
  TrainSpec spec = Overfitting(4);
  spec.early_stopping->metric = "val_accuracy";
  spec.early_stopping->patience = 8;
  std::vector<EpochMetrics> epochs;
  auto model = Train(spec, NoisyTrain(), RecordEpochs(epochs), &validation);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const Json& record = model->model_json["training"]["early_stopping"];
  double highest = 0;
  for (const EpochMetrics& m : epochs) highest = std::max(highest, *m.val_accuracy);
  EXPECT_EQ(record["best_value"].get<double>(), highest);
  auto session = InferenceSession::Load(*model, "m");
  ASSERT_TRUE(session.ok());
  auto report = EvaluateDataset(**session, validation);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_DOUBLE_EQ((*report)["metrics"]["accuracy"].get<double>(), highest);
}

TEST(EarlyStopping, WithoutValidationDatasetIsAnError) {
  auto model = Train(Overfitting(1), NoisyTrain(), nullptr);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(model.status().message().find("early_stopping needs a validation dataset"),
            std::string::npos);
}

TEST(Validation, DatasetPreparedDifferentlyIsRefusedNamingBoth) {
  DatasetView validation = Blobs(30, 2);
  validation.name = "prepare.validation";
  validation.schema["features"] = {"a", "b", "d", "c"};
  auto model = Train(Logreg(1), Blobs(30, 1), nullptr, &validation);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(model.status().message().find("validation dataset prepare.validation has different "
                                          "features from training dataset blobs"),
            std::string::npos)
      << model.status().message();

  validation = Blobs(30, 2);
  validation.schema["preprocessing"] = Json::array({{{"op", "standardize"}}});
  EXPECT_EQ(Train(Logreg(1), Blobs(30, 1), nullptr, &validation).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST(Validation, EveryEpochReportsValidationMetricsWithoutChangingTheWeights) {
  // Evaluation runs without gradients and draws no randomness: the weights
  // are those of the same run without a validation set.
  const DatasetView validation = Blobs(45, 2);
  int reported = 0;
  auto with = Train(
      Logreg(5), Blobs(90, 1),
      [&](const EpochMetrics& m) {
        reported += m.val_loss.has_value() && m.val_accuracy.has_value();
        return Status::Ok();
      },
      &validation);
  auto without = Train(Logreg(5), Blobs(90, 1), nullptr);
  ASSERT_TRUE(with.ok() && without.ok());
  EXPECT_EQ(reported, 20);
  EXPECT_TRUE(with->safetensors == without->safetensors);
  EXPECT_EQ(with->model_json["training"]["validation"]["rows"], 45);
}

TrainSpec EveryOption() {
  TrainSpec s;
  s.model.arch = "mlp";
  s.model.hidden = {32};
  s.model.dropout = 0.2;
  s.optimizer.name = "adamw";
  s.optimizer.lr = 0.02;
  s.optimizer.weight_decay = 0.05;
  s.lr_schedule.name = "cosine";
  s.lr_schedule.min_lr = 0.001;
  s.lr_schedule.warmup_epochs = 3;
  s.grad_clip.max_norm = 0.5;
  s.grad_clip.max_value = 0.2;
  s.class_weights.values = {1.0, 2.0, 0.5};
  s.early_stopping = EarlyStoppingSpec{.metric = "val_loss", .patience = 4, .min_delta = 1e-4};
  s.epochs = 25;
  s.batch_size = 16;
  s.seed = 9;
  s.threads = 2;
  return s;
}

TEST(Training, EveryOptionTogetherIsBitIdenticalAcrossRuns) {
  const DatasetView validation = Blobs(60, 8, 0.8);
  auto a = Train(EveryOption(), BlobsWithCounts({50, 20, 40}, 7), nullptr, &validation);
  auto b = Train(EveryOption(), BlobsWithCounts({50, 20, 40}, 7), nullptr, &validation);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_TRUE(a->safetensors == b->safetensors);
  EXPECT_EQ(a->model_json, b->model_json);
}

TEST(Training, ModelJsonRecordsHowTheModelWasTrained) {
  const DatasetView validation = Blobs(60, 8, 0.8);
  auto model = Train(EveryOption(), BlobsWithCounts({50, 20, 40}, 7), nullptr, &validation);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const Json& t = model->model_json["training"];
  EXPECT_EQ(t["optimizer"]["name"], "adamw");
  EXPECT_EQ(t["optimizer"]["weight_decay"], 0.05);
  EXPECT_EQ(t["optimizer"]["weight_decay_mode"], "decoupled");
  EXPECT_EQ(t["optimizer"]["betas"], Json::array({0.9, 0.999}));
  EXPECT_EQ(t["lr_schedule"]["name"], "cosine");
  EXPECT_EQ(t["lr_schedule"]["warmup_epochs"], 3);
  EXPECT_EQ(t["lr_schedule"]["min_lr"], 0.001);
  EXPECT_EQ(t["grad_clip"], (Json{{"max_norm", 0.5}, {"max_value", 0.2}}));
  EXPECT_EQ(t["class_weights"]["mode"], "explicit");
  EXPECT_EQ(t["class_weights"]["weights"], Json::array({1.0, 2.0, 0.5}));
  EXPECT_EQ(t["validation"]["rows"], 60);
  EXPECT_EQ(t["early_stopping"]["metric"], "val_loss");
  EXPECT_EQ(t["early_stopping"]["patience"], 4);
  EXPECT_TRUE(t["early_stopping"]["best_epoch"].is_number_integer());
  EXPECT_EQ(t["epochs"], 25);

  auto plain = Train(Logreg(1), Blobs(30, 1), nullptr);
  ASSERT_TRUE(plain.ok());
  const Json& p = plain->model_json["training"];
  EXPECT_EQ(p["lr_schedule"]["name"], "constant");
  EXPECT_TRUE(p["grad_clip"].is_null());
  EXPECT_TRUE(p["class_weights"].is_null());
  EXPECT_TRUE(p["validation"].is_null());
  EXPECT_TRUE(p["early_stopping"].is_null());
  EXPECT_EQ(p["epochs_run"], 20);
}

}  // namespace
}  // namespace citadel::ml
