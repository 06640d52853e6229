// The cnn architecture: its spec, what it refuses, that it learns image
// data, that batch norm's running statistics travel with the model, and that
// model.json describes it well enough to rebuild it.
#include <gtest/gtest.h>

#include <random>

#include "ml/batch_inference.h"
#include "ml/inference_session.h"
#include "ml/test_datasets.h"
#include "ml/training/memory_estimate.h"
#include "ml/training/trainer.h"

namespace citadel::ml {
namespace {

using testing::ParseModel;

TEST(CnnSpec, ParsesConvBlocksWithDefaults) {
  auto spec = ParseModel(
      "{ arch: cnn, input_shape: [1, 8, 8], conv: [{ channels: 4, batch_norm: true }, "
      "{ channels: 8, kernel: 5, pool: 1 }], hidden: [16], dropout: 0.1 }");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  ASSERT_EQ(spec->model.conv.size(), 2u);
  EXPECT_EQ(spec->model.conv[0].kernel, 3);
  EXPECT_EQ(spec->model.conv[0].pool, 2);
  EXPECT_TRUE(spec->model.conv[0].batch_norm);
  EXPECT_EQ(spec->model.conv[1].kernel, 5);
  EXPECT_EQ(spec->model.conv[1].pool, 1);
  EXPECT_FALSE(spec->model.conv[1].batch_norm);
  EXPECT_EQ(spec->model.input_shape, (std::vector<int64_t>{1, 8, 8}));
  // Round trip through model.json's architecture.
  auto back = ModelSpecFromArchitectureJson(ModelSpecToJson(spec->model), "m");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ModelSpecToJson(*back), ModelSpecToJson(spec->model));
}

TEST(CnnSpec, RefusesBadShapesNamingTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{ arch: cnn, conv: [{ channels: 4 }] }", "input_shape"},
      {"{ arch: cnn, input_shape: [28, 28], conv: [{ channels: 4 }] }", "input_shape"},
      {"{ arch: cnn, input_shape: [1, 8, 8] }", "conv"},
      {"{ arch: cnn, input_shape: [1, 8, 8], conv: [{ channels: 4, kernel: 4 }] }", "kernel"},
      {"{ arch: cnn, input_shape: [1, 8, 8], conv: [{ channels: 4, pool: 16 }] }", "pool"},
      {"{ arch: cnn, input_shape: [1, 8, 8], conv: [{ channels: 4, stride: 2 }] }", "stride"},
      {"{ arch: mlp, hidden: [4], conv: [{ channels: 4 }] }", "conv"},
  };
  testing::ExpectModelsRefused(cases);
}

// 6×6 single-channel images: class 0 has a bright vertical bar, class 1 a
// horizontal one, at a random position, on noise. Seeded.
DatasetView Bars(int rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> pos(0, 5);
  std::normal_distribution<float> noise(0.0f, 0.3f);
  std::vector<float> x;
  std::vector<int64_t> y;
  for (int i = 0; i < rows; ++i) {
    const int cls = i % 2, at = pos(rng);
    for (int r = 0; r < 6; ++r) {
      for (int c = 0; c < 6; ++c) {
        const bool on = cls == 0 ? c == at : r == at;
        x.push_back((on ? 1.0f : 0.0f) + noise(rng));
      }
    }
    y.push_back(cls);
  }
  std::vector<std::string> features;
  for (int i = 0; i < 36; ++i) features.push_back("pixel_" + std::to_string(i));
  return testing::DatasetOf("bars", x, y, features, "bar", {"vertical", "horizontal"});
}

TrainSpec BarsCnn() {
  auto spec = ParseModel(
      "{ arch: cnn, input_shape: [1, 6, 6], conv: [{ channels: 6, batch_norm: true }], "
      "hidden: [12] }");
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  TrainSpec s = *spec;
  s.optimizer.lr = 0.01;
  s.epochs = 8;
  s.batch_size = 32;
  s.seed = 3;
  return s;
}

TEST(Cnn, LearnsImagesAndKeepsBatchNormStatisticsInTheModel) {
  const DatasetView train = Bars(400, 1), test = Bars(200, 2);
  auto model = Train(BarsCnn(), train, nullptr);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto file = formats::SafetensorsFile::Parse(model->safetensors, "model");
  ASSERT_TRUE(file.ok());
  // Unflatten is module 0, conv 1, batch norm 2.
  for (const char* name : {"1.weight", "2.weight", "2.running_mean", "2.running_var"}) {
    EXPECT_TRUE(file->Get(name).ok()) << name;
  }
  auto counter = file->Get("2.num_batches_tracked");
  ASSERT_TRUE(counter.ok());
  EXPECT_EQ((*counter)->dtype, formats::DType::kI64);
  EXPECT_EQ(testing::TensorValues<int64_t>(model->safetensors, "2.num_batches_tracked"),
            (std::vector<int64_t>{8 * 13}))
      << "one update per training batch";

  auto session = InferenceSession::Load(*model, "bars-cnn");
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto report = EvaluateDataset(**session, test);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GE((*report)["metrics"]["accuracy"].get<double>(), 0.95) << report->dump();

  // Deterministic, and resumable like any other model.
  auto again = Train(BarsCnn(), train, nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->safetensors == model->safetensors);
}

TEST(Cnn, RefusesAnInputShapeThatDoesNotMatchTheFeatures) {
  TrainSpec spec = BarsCnn();
  spec.model.input_shape = {1, 5, 5};
  auto model = Train(spec, Bars(40, 1), nullptr);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("input_shape [1, 5, 5] holds 25 values but the "
                                          "dataset has 36 features"),
            std::string::npos)
      << model.status().ToString();
}

TEST(Cnn, MemoryEstimateCountsConvParametersAndActivations) {
  TrainSpec spec = BarsCnn();
  // conv 1→6 (3×3): 60, batch norm: 12, 6×3×3 flattened = 54 → 12: 660, → 2: 26.
  EXPECT_EQ(CountParameters(spec.model, 36, 2), 60u + 12u + 660u + 26u);
  const TrainingMemory with_conv = EstimateTrainingMemory(spec, 36, 2, 0);
  spec.model.conv[0].channels = 12;
  EXPECT_GT(EstimateTrainingMemory(spec, 36, 2, 0).activations, with_conv.activations);
}

}  // namespace
}  // namespace citadel::ml
