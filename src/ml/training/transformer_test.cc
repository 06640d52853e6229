// The transformer architecture: its spec, the vocabulary resolved from the
// data, that it learns what only word order tells apart, that it refuses
// token ids outside its vocabulary, and that model.json rebuilds it.
#include <gtest/gtest.h>

#include <cmath>

#include <random>

#include "ml/batch_inference.h"
#include "ml/inference_session.h"
#include "ml/test_datasets.h"
#include "ml/training/memory_estimate.h"
#include "ml/training/token_ids.h"
#include "ml/training/trainer.h"

namespace citadel::ml {
namespace {

constexpr int kLength = 8;

using testing::ParseModel;

TEST(TransformerSpec, ParsesWithDefaultsAndRoundTrips) {
  auto spec = ParseModel("{ arch: transformer, d_model: 32, heads: 2 }");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  const TransformerSpec& t = spec->model.transformer;
  EXPECT_EQ(t.d_model, 32);
  EXPECT_EQ(t.heads, 2);
  EXPECT_EQ(t.layers, 2);
  EXPECT_EQ(t.FeedforwardWidth(), 128);
  EXPECT_EQ(t.vocab_size, 0) << "resolved from the data by the trainer";
  EXPECT_DOUBLE_EQ(spec->model.dropout, 0.1);
  spec->model.transformer.vocab_size = 500;
  auto back = ModelSpecFromArchitectureJson(ModelSpecToJson(spec->model), "m");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ModelSpecToJson(*back), ModelSpecToJson(spec->model));
  EXPECT_EQ(back->transformer.vocab_size, 500);
}

TEST(TransformerSpec, RefusesBadSettingsNamingTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{ arch: transformer, d_model: 30, heads: 4 }", "heads"},
      {"{ arch: transformer, hidden: [16] }", "hidden"},
      {"{ arch: transformer, vocab_size: 1 }", "vocab_size"},
      {"{ arch: transformer, layers: 0 }", "layers"},
      {"{ arch: transformer, input_shape: [1, 2, 2] }", "input_shape"},
      {"{ arch: mlp, hidden: [4], d_model: 8 }", "d_model"},
      {"{ arch: transformers }", "transformer"},
  };
  testing::ExpectModelsRefused(cases);
}

// Sequences of 3 to 8 tokens (padded with 0 to 8): one 'A' (id 2), one 'B'
// (id 3), the rest filler (ids 4…11), at random places. The label says
// whether A comes before B, so the bag of words of every row is the same
// for both classes: only positions tell them apart. Seeded.
DatasetView OrderTask(int rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<float> x;
  std::vector<int64_t> y;
  for (int i = 0; i < rows; ++i) {
    const int length = 3 + static_cast<int>(rng() % (kLength - 2));
    std::vector<float> row(kLength, 0.0f);
    for (int p = 0; p < length; ++p) row[p] = static_cast<float>(4 + rng() % 8);
    const int a = static_cast<int>(rng() % length);
    int b = static_cast<int>(rng() % (length - 1));
    if (b >= a) ++b;
    row[a] = 2;
    row[b] = 3;
    x.insert(x.end(), row.begin(), row.end());
    y.push_back(a < b ? 1 : 0);
  }
  std::vector<std::string> features;
  for (int p = 0; p < kLength; ++p) features.push_back("text_seq_" + std::to_string(p));
  return testing::DatasetOf("order", x, y, features, "a_first", {"no", "yes"});
}

TrainSpec OrderTransformer() {
  auto spec = ParseModel("{ arch: transformer, d_model: 32, heads: 4, layers: 1, dropout: 0 }");
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  TrainSpec s = *spec;
  s.optimizer.lr = 0.003;
  s.epochs = 12;
  s.batch_size = 32;
  s.seed = 5;
  return s;
}

TEST(Transformer, LearnsWhatOnlyWordOrderTellsApart) {
  const DatasetView train = OrderTask(1500, 1), test = OrderTask(400, 2);
  auto model = Train(OrderTransformer(), train, nullptr);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(model->model_json["architecture"]["vocab_size"], 12) << "largest id 11, plus one";

  auto session = InferenceSession::Load(*model, "order-transformer");
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto report = EvaluateDataset(**session, test);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GE((*report)["metrics"]["accuracy"].get<double>(), 0.9) << report->dump();

  // The parameter count the memory estimate uses is the model's.
  auto file = formats::SafetensorsFile::Parse(model->safetensors, "model");
  ASSERT_TRUE(file.ok());
  uint64_t stored = 0;
  for (const formats::TensorView& t : file->tensors()) stored += t.NumElements();
  TrainSpec resolved = OrderTransformer();
  resolved.model.transformer.vocab_size = 12;
  EXPECT_EQ(CountParameters(resolved.model, kLength, 2), stored);

  // Deterministic like every other architecture.
  auto again = Train(OrderTransformer(), train, nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->safetensors == model->safetensors);
}

TEST(Transformer, PredictsAllPaddingRowsAndRefusesIdsOutsideTheVocabulary) {
  TrainSpec spec = OrderTransformer();
  spec.epochs = 1;
  auto model = Train(spec, OrderTask(200, 3), nullptr);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto session = InferenceSession::Load(*model, "order-transformer");
  ASSERT_TRUE(session.ok()) << session.status().ToString();

  // Its detector, asked for, scores the penultimate layer (the pooled
  // d_model activations; its inputs are token ids) and screens rows.
  EXPECT_EQ((*session)->penultimate_width(), 32);
  const DatasetView held = OrderTask(300, 4);
  auto detector = (*session)->FitOodDetector(held, 0.99, FeatureSpace::kPenultimate);
  ASSERT_TRUE(detector.ok()) << detector.status().ToString();
  EXPECT_EQ(detector->dims(), 32);
  ModelFiles screened_model = *model;
  screened_model.ood = detector->ToSafetensors();
  auto screening = InferenceSession::Load(screened_model, "order-transformer");
  ASSERT_TRUE(screening.ok()) << screening.status().ToString();
  std::vector<float> two(2 * kLength, 0.0f);
  for (int p = 0; p < 6; ++p) two[static_cast<size_t>(p)] = static_cast<float>(4 + p);
  auto screened = (*screening)->PredictScreened(two, 2);
  ASSERT_TRUE(screened.ok()) << screened.status().ToString();
  ASSERT_EQ(screened->ood_scores.size(), 2u);
  for (double score : screened->ood_scores) EXPECT_TRUE(std::isfinite(score)) << score;

  std::vector<float> empty(kLength, 0.0f);
  auto probabilities = (*session)->PredictProbabilities(empty, 1);
  ASSERT_TRUE(probabilities.ok()) << probabilities.status().ToString();
  ASSERT_EQ(probabilities->size(), 2u);
  EXPECT_NEAR((*probabilities)[0] + (*probabilities)[1], 1.0f, 1e-5f);

  struct Case {
    float id;
    std::string expected;
  } cases[] = {{12.0f, "token id 12 is not a whole number in [0, 12)"},
               {-1.0f, "token id -1"},
               {2.5f, "token id 2.5"}};
  for (const Case& c : cases) {
    std::vector<float> row = {2, 3, 4, 5, 0, 0, 0, 0};
    std::vector<float> rows = row;
    rows.insert(rows.end(), row.begin(), row.end());
    rows[kLength + 2] = c.id;
    auto bad = (*session)->PredictProbabilities(rows, 2);
    ASSERT_FALSE(bad.ok()) << c.id;
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << bad.status().ToString();
    EXPECT_NE(bad.status().message().find("in the chunk of rows from 0: row 1, position 2: " +
                                          c.expected),
              std::string::npos)
        << bad.status().ToString();
  }
}

TEST(Transformer, ResumingMidEpochGivesTheUninterruptedWeights) {
  // Dropout inside the encoder draws from torch's generator, which the
  // checkpoint carries.
  TrainSpec spec = OrderTransformer();
  spec.model.dropout = 0.2;
  spec.epochs = 2;
  const DatasetView data = OrderTask(150, 6);  // 5 steps per epoch
  auto reference = Train(spec, data, nullptr);
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();

  const std::string at_step_7 = testing::CheckpointAtStep(spec, data, 7);
  ASSERT_FALSE(at_step_7.empty());
  TrainHooks resume;
  resume.resume_from = at_step_7;
  auto resumed = Train(spec, data, nullptr, resume);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_TRUE(resumed->safetensors == reference->safetensors);
}

TEST(Transformer, VocabularyComesFromTheDataOrIsCheckedAgainstIt) {
  const DatasetView train = OrderTask(50, 4);
  TrainSpec spec = OrderTransformer();
  ASSERT_TRUE(ResolveTokenVocabulary(spec, train, nullptr).ok());
  EXPECT_EQ(spec.model.transformer.vocab_size, 12);

  TrainSpec small = OrderTransformer();
  small.model.transformer.vocab_size = 10;
  Status s = ResolveTokenVocabulary(small, train, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("order holds token id 11 but model.vocab_size is 10"),
            std::string::npos)
      << s.ToString();
  auto refused = Train(small, train, nullptr);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("vocab_size is 10"), std::string::npos);

  // Features that are not ids: named by row and feature.
  std::vector<float> x = {2, 3, 0, 0, 0, 0, 0, 0, 2, 3, 4, 0.5f, 0, 0, 0, 0};
  std::vector<std::string> features;
  for (int p = 0; p < kLength; ++p) features.push_back("text_seq_" + std::to_string(p));
  const DatasetView scaled = testing::DatasetOf("scaled", x, {0, 1}, features, "y", {"a", "b"});
  auto largest = LargestTokenId(scaled);
  ASSERT_FALSE(largest.ok());
  EXPECT_NE(largest.status().message().find("scaled: row 1, feature 'text_seq_3' is 0.5, not a "
                                            "token id"),
            std::string::npos)
      << largest.status().ToString();
  // Other architectures take any features.
  TrainSpec mlp = *ParseModel("{ arch: mlp, hidden: [4] }");
  EXPECT_TRUE(ResolveTokenVocabulary(mlp, scaled, nullptr).ok());
}

}  // namespace
}  // namespace citadel::ml
