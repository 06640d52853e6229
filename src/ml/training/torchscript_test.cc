// User-supplied TorchScript modules (tests/fixtures/torchscript, exported by
// make_fixtures.py with torch.jit.script): fine-tuned from C++, their frozen
// parameters left alone, checked against the data, resumable bit for bit,
// and refused when the module is not the one the model was trained with.
#include <gtest/gtest.h>

#include <set>

#include "base/system/files.h"
#include "crypto/sha256.h"
#include "ml/batch_inference.h"
#include "ml/inference_session.h"
#include "ml/test_datasets.h"
#include "ml/training/trainer.h"

namespace citadel::ml {
namespace {

using testing::Blobs;
using testing::TensorValues;

std::string Fixture(const std::string& name) {
  auto bytes = ReadFile("tests/fixtures/torchscript/" + name);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : std::string();
}

using testing::ParseModel;

TrainSpec Scripted(const std::string& fixture, int64_t epochs = 6) {
  auto spec = ParseModel("{ arch: torchscript, module: " + fixture + " }");
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  TrainSpec s = *spec;
  s.model.module.bytes = Fixture(fixture);
  s.optimizer.lr = 0.01;
  s.epochs = epochs;
  s.batch_size = 16;
  s.seed = 9;
  return s;
}

TEST(TorchScriptSpec, NeedsAModuleAndNothingElse) {
  auto spec = ParseModel("{ arch: torchscript, module: nets/m.pt }");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->model.module.path, "nets/m.pt");
  struct Case {
    std::string model, expected;
  } cases[] = {
      {"{ arch: torchscript }", "module: give the TorchScript file"},
      {"{ arch: torchscript, module: m.pt, hidden: [4] }", "hidden: a torchscript model is"},
      {"{ arch: mlp, hidden: [4], module: m.pt }", "only a torchscript model has module"},
  };
  for (const Case& c : cases) {
    auto bad = ParseModel(c.model);
    ASSERT_FALSE(bad.ok()) << c.model;
    EXPECT_NE(bad.status().message().find(c.expected), std::string::npos)
        << bad.status().ToString();
  }
}

TEST(TorchScript, FineTunesTheModuleAndServesItFromTheModelFiles) {
  const DatasetView train = Blobs(300, 1), test = Blobs(150, 2);
  auto model = Train(Scripted("blobs_mlp.pt"), train, nullptr);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const std::string module = Fixture("blobs_mlp.pt");
  EXPECT_TRUE(model->torchscript == module) << "the module travels with the model";
  const Json& arch = model->model_json["architecture"];
  EXPECT_EQ(arch["arch"], "torchscript");
  EXPECT_EQ(arch["module"], "module.pt");
  EXPECT_EQ(arch["module_sha256"], crypto::Sha256::Of(module).Hex());

  auto file = formats::SafetensorsFile::Parse(model->safetensors, "model");
  ASSERT_TRUE(file.ok());
  std::set<std::string> names;
  for (const formats::TensorView& t : file->tensors()) names.insert(t.name);
  EXPECT_EQ(names, (std::set<std::string>{"fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight"}));

  auto session = InferenceSession::Load(*model, "scripted");
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto report = EvaluateDataset(**session, test);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GE((*report)["metrics"]["accuracy"].get<double>(), 0.95) << report->dump();

  // Training moved the weights away from the module's own.
  TrainSpec none = Scripted("blobs_mlp.pt", 1);
  none.optimizer.lr = 1e-12;
  auto barely = Train(none, train, nullptr);
  ASSERT_TRUE(barely.ok());
  EXPECT_NE(TensorValues<float>(barely->safetensors, "fc2.weight"),
            TensorValues<float>(model->safetensors, "fc2.weight"));

  // Deterministic like every architecture.
  auto again = Train(Scripted("blobs_mlp.pt"), train, nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->safetensors == model->safetensors);
}

TEST(TorchScript, ParametersSavedFrozenStayFrozen) {
  const DatasetView train = Blobs(120, 3);
  auto short_run = Train(Scripted("blobs_frozen.pt", 1), train, nullptr);
  auto long_run = Train(Scripted("blobs_frozen.pt", 5), train, nullptr);
  ASSERT_TRUE(short_run.ok()) << short_run.status().ToString();
  ASSERT_TRUE(long_run.ok()) << long_run.status().ToString();
  for (const char* frozen : {"fc1.weight", "fc1.bias"}) {
    EXPECT_EQ(TensorValues<float>(short_run->safetensors, frozen),
              TensorValues<float>(long_run->safetensors, frozen))
        << frozen;
  }
  EXPECT_NE(TensorValues<float>(short_run->safetensors, "fc2.weight"),
            TensorValues<float>(long_run->safetensors, "fc2.weight"));
}

TEST(TorchScript, ResumingMidEpochGivesTheUninterruptedWeights) {
  const TrainSpec spec = Scripted("blobs_mlp.pt", 3);
  const DatasetView data = Blobs(100, 4);  // 7 steps per epoch
  auto reference = Train(spec, data, nullptr);
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  for (int64_t at : {3, 10}) {
    SCOPED_TRACE(at);
    const std::string checkpoint = testing::CheckpointAtStep(spec, data, at);
    ASSERT_FALSE(checkpoint.empty());
    TrainHooks resume;
    resume.resume_from = checkpoint;
    auto resumed = Train(spec, data, nullptr, resume);
    ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
    EXPECT_TRUE(resumed->safetensors == reference->safetensors);
  }
  // A checkpoint taken with another module is refused.
  const std::string other = testing::CheckpointAtStep(Scripted("blobs_frozen.pt", 3), data, 2);
  ASSERT_FALSE(other.empty());
  TrainHooks resume;
  resume.resume_from = other;
  auto refused = Train(spec, data, nullptr, resume);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("fingerprint differs"), std::string::npos)
      << refused.status().ToString();
}

TEST(TorchScript, ModulesThatDoNotFitOrAreNotTorchScriptAreRefused) {
  const DatasetView train = Blobs(30, 5);
  auto wrong = Train(Scripted("blobs_wrong.pt"), train, nullptr);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("does not fit the data"), std::string::npos)
      << wrong.status().ToString();
  EXPECT_NE(wrong.status().message().find("maps [2, 4] features to Float 2 x 5"), std::string::npos)
      << wrong.status().ToString();

  TrainSpec garbage = Scripted("blobs_mlp.pt");
  garbage.model.module.bytes = "PK\x03\x04 not really a zip";
  auto not_script = Train(garbage, train, nullptr);
  ASSERT_FALSE(not_script.ok());
  EXPECT_EQ(not_script.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(not_script.status().message().find("blobs_mlp.pt: not a loadable TorchScript module"),
            std::string::npos)
      << not_script.status().ToString();

  // 4 features in the module, 64 in the data.
  std::vector<float> x(64 * 6, 0.5f);
  std::vector<std::string> features;
  for (int i = 0; i < 64; ++i) features.push_back("f" + std::to_string(i));
  auto wide = Train(
      Scripted("blobs_mlp.pt"),
      testing::DatasetOf("wide", x, {0, 1, 2, 0, 1, 2}, features, "y", {"a", "b", "c"}), nullptr);
  ASSERT_FALSE(wide.ok());
  EXPECT_NE(wide.status().message().find("does not fit the data"), std::string::npos)
      << wide.status().ToString();
}

TEST(TorchScript, AModelWhoseModuleWasReplacedIsRefusedAtLoad) {
  auto model = Train(Scripted("blobs_mlp.pt", 1), Blobs(30, 6), nullptr);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ModelFiles swapped = *model;
  swapped.torchscript = Fixture("blobs_frozen.pt");
  auto refused = InferenceSession::Load(swapped, "swapped");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(refused.status().message().find("module.pt differs"), std::string::npos)
      << refused.status().ToString();
  swapped.torchscript.clear();
  auto missing = InferenceSession::Load(swapped, "swapped");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("module.pt is missing"), std::string::npos)
      << missing.status().ToString();
}

}  // namespace
}  // namespace citadel::ml
