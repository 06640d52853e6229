// Training, loading and batch inference through the ml module's public API,
// on seeded synthetic data (three Gaussian blobs, test_datasets.h).
#include <gtest/gtest.h>

#include "base/text/yaml.h"
#include "formats/safetensors.h"
#include "ml/batch_inference.h"
#include "ml/inference_session.h"
#include "ml/test_datasets.h"
#include "ml/training/trainer.h"

namespace citadel::ml {
namespace {

using testing::Blobs;
using testing::RecordEpochs;

TrainSpec MlpSpec(uint64_t seed) {
  TrainSpec s;
  s.model.arch = "mlp";
  s.model.hidden = {16};
  s.optimizer.name = "adam";
  s.optimizer.lr = 0.01;
  s.epochs = 15;
  s.batch_size = 32;
  s.seed = seed;
  return s;
}

TEST(Trainer, MlpLearnsSeparableBlobs) {
  std::vector<EpochMetrics> epochs;
  auto model = Train(MlpSpec(1), Blobs(300, 1), RecordEpochs(epochs));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_EQ(epochs.size(), 15u);
  EXPECT_LT(epochs.back().loss, epochs.front().loss);
  auto session = InferenceSession::Load(*model, "m");
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto report = EvaluateDataset(**session, Blobs(150, 2));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GE((*report)["metrics"]["accuracy"].get<double>(), 0.95);
}

TEST(Trainer, SameSeedGivesBitIdenticalWeights) {
  auto a = Train(MlpSpec(5), Blobs(120, 1), nullptr);
  auto b = Train(MlpSpec(5), Blobs(120, 1), nullptr);
  auto c = Train(MlpSpec(6), Blobs(120, 1), nullptr);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->safetensors, b->safetensors);
  EXPECT_EQ(a->model_json, b->model_json);
  EXPECT_NE(a->safetensors, c->safetensors);
}

TEST(Trainer, LogisticRegressionWithSgdTrains) {
  TrainSpec s = MlpSpec(3);
  s.model.arch = "logreg";
  s.model.hidden.clear();
  s.optimizer.name = "sgd";
  s.optimizer.lr = 0.1;
  s.optimizer.momentum = 0.9;
  auto model = Train(s, Blobs(300, 1), nullptr);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto session = InferenceSession::Load(*model, "m");
  ASSERT_TRUE(session.ok());
  EXPECT_GE((*EvaluateDataset(**session, Blobs(150, 2)))["metrics"]["accuracy"].get<double>(), 0.9);
}

TEST(Trainer, DivergingLossStopsWithClearError) {
  TrainSpec s = MlpSpec(1);
  s.optimizer.name = "sgd";
  s.optimizer.lr = 10.0;
  auto model = Train(s, Blobs(90, 1, 0.5, 1e18), nullptr);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(model.status().message().find("diverged at epoch"), std::string::npos);
}

TEST(Trainer, CallbackErrorStopsTraining) {
  int calls = 0;
  auto model = Train(MlpSpec(1), Blobs(60, 1), [&](const EpochMetrics&) {
    ++calls;
    return calls == 2 ? UnavailableError("disk full") : Status::Ok();
  });
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(calls, 2);
  EXPECT_NE(model.status().message().find("disk full"), std::string::npos);
}

TEST(Trainer, RejectsEmptyAndSingleClassData) {
  DatasetView empty = Blobs(0, 1);
  EXPECT_EQ(Train(MlpSpec(1), empty, nullptr).status().code(), StatusCode::kInvalidArgument);
  DatasetView one = Blobs(30, 1);
  one.schema["label"]["classes"] = {"x"};
  EXPECT_FALSE(Train(MlpSpec(1), one, nullptr).ok()) << "labels 1 and 2 exceed the single class";
}

class LoadedModel : public ::testing::Test {
 protected:
  void SetUp() override {
    auto m = Train(MlpSpec(1), Blobs(150, 1), nullptr);
    ASSERT_TRUE(m.ok());
    model_ = *m;
  }
  ModelFiles model_;
};

TEST_F(LoadedModel, RefusesWeightsThatDoNotMatchTheArchitecture) {
  ModelFiles wrong = model_;
  wrong.model_json["architecture"]["hidden"] = {8};
  auto s = InferenceSession::Load(wrong, "m");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("does not match"), std::string::npos);

  ModelFiles extra = model_;
  auto parsed = formats::SafetensorsFile::Parse(model_.safetensors, "m");
  formats::SafetensorsWriter w;
  for (const auto& t : parsed->tensors())
    ASSERT_TRUE(w.Add(t.name, t.dtype, t.shape, std::string(t.data)).ok());
  ASSERT_TRUE(w.Add("payload", formats::DType::kU8, {3}, "abc").ok());
  extra.safetensors = w.Serialize();
  EXPECT_NE(InferenceSession::Load(extra, "m").status().message().find("unexpected tensor"),
            std::string::npos);

  ModelFiles truncated = model_;
  truncated.safetensors.resize(truncated.safetensors.size() - 4);
  EXPECT_FALSE(InferenceSession::Load(truncated, "m").ok());
}

TEST_F(LoadedModel, MistypedModelJsonIsAnErrorNotACrash) {
  std::vector<std::pair<std::string, Json>> edits = {
      {"/input", Json::array()},         {"/output/classes", "not-a-list"},
      {"/architecture/dropout", "high"}, {"/architecture/hidden", Json::array({"wide"})},
      {"/preprocessing", "standardize"},
  };
  for (const auto& [pointer, value] : edits) {
    ModelFiles bad = model_;
    bad.model_json[Json::json_pointer(pointer)] = value;
    auto s = InferenceSession::Load(bad, "m");
    EXPECT_FALSE(s.ok()) << pointer;
  }
  auto session = InferenceSession::Load(model_, "m");
  ASSERT_TRUE(session.ok());
  DatasetView weird = Blobs(10, 3);
  weird.schema["label"] = "not-an-object";
  EXPECT_EQ(EvaluateDataset(**session, weird).status().code(), StatusCode::kInvalidArgument);
  weird = Blobs(10, 3);
  weird.schema["label"]["name"] = 7;
  EXPECT_FALSE(EvaluateDataset(**session, weird).ok());
}

TEST_F(LoadedModel, PredictionsCsvHasOneLinePerRowAndValidProbabilities) {
  auto session = InferenceSession::Load(model_, "m");
  ASSERT_TRUE(session.ok());
  auto csv = PredictDataset(**session, Blobs(30, 9));
  ASSERT_TRUE(csv.ok());
  EXPECT_EQ(csv->rfind("row_id,predicted_label,prob_x,prob_y,prob_z\n", 0), 0u);
  EXPECT_EQ(std::count(csv->begin(), csv->end(), '\n'), 31);
}

TEST_F(LoadedModel, RefusesDatasetPreparedDifferently) {
  auto session = InferenceSession::Load(model_, "m");
  DatasetView other = Blobs(30, 9);
  other.schema["features"] = {"a", "b", "d", "c"};
  EXPECT_EQ(EvaluateDataset(**session, other).status().code(), StatusCode::kFailedPrecondition);
  other = Blobs(30, 9);
  other.schema["preprocessing"] =
      Json::array({{{"op", "standardize"}, {"columns", {"a"}}, {"mean", {1}}, {"scale", {2}}}});
  EXPECT_EQ(EvaluateDataset(**session, other).status().code(), StatusCode::kFailedPrecondition);
}

TEST(TrainSpec, ParsesAndRejectsWithLineNumbers) {
  auto doc = ParseYaml(
      "steps:\n"
      "  - name: t\n    kind: train\n    model: { arch: mlp, hidden: [8] }\n    epochs: 3\n"
      "  - name: u\n    kind: train\n    model: { arch: resnet }\n"
      "  - name: v\n    kind: train\n    model: { arch: mlp, hidden: [8] }\n    optimizer: { name: "
      "adam, momentum: 0.9 }\n",
      "p.yaml");
  ASSERT_TRUE(doc.ok());
  auto ok = ParseTrainSpec(SpecReader(*doc, "/steps/0"), {});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->epochs, 3);
  EXPECT_EQ(ok->model.hidden, std::vector<int64_t>{8});
  auto bad = ParseTrainSpec(SpecReader(*doc, "/steps/1"), {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("p.yaml:8"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("unknown architecture"), std::string::npos);
  auto momentum = ParseTrainSpec(SpecReader(*doc, "/steps/2"), {});
  ASSERT_FALSE(momentum.ok());
  EXPECT_NE(momentum.status().message().find("momentum applies to sgd"), std::string::npos);
}

}  // namespace
}  // namespace citadel::ml
