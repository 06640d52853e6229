// The main job end to end: accuracy, reproducibility, caching, lineage.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <span>

#include "base/system/files.h"
#include "cli_runner.h"
#include "formats/safetensors.h"
#include "ml/inference_session.h"
#include "ml/ood_detector.h"

namespace citadel::testing {
namespace {

namespace fs = std::filesystem;

std::map<std::string, Json> StepsByName(const Json& outcome) {
  std::map<std::string, Json> steps;
  for (const Json& s : outcome["steps"]) steps[s["name"].get<std::string>()] = s;
  return steps;
}

class DigitsPipeline : public DigitsWorkspaceTest {};

TEST_F(DigitsPipeline, TrainsAnMlpAboveNinetyFivePercentTestAccuracy) {
  Json outcome = CitadelJson({"run", spec_.string(), "--json"});
  ASSERT_EQ(outcome["pipeline"], "digits");
  auto steps = StepsByName(outcome);
  ASSERT_EQ(steps.size(), 5u);
  for (const auto& [name, s] : steps) {
    EXPECT_EQ(s["status"], "succeeded") << name;
    EXPECT_EQ(s["cached"], false) << name;
    EXPECT_TRUE(s["run_id"].is_string()) << name;
  }
  double accuracy = steps["evaluate"]["metrics"]["accuracy"].get<double>();
  EXPECT_GE(accuracy, 0.95);
  EXPECT_TRUE(steps["prepare"]["outputs"].contains("train"));
  EXPECT_TRUE(steps["prepare"]["outputs"].contains("test"));
  EXPECT_TRUE(steps["train"]["outputs"].contains("model"));

  // The report artifact agrees with the run summary.
  fs::path report = tmp_ / "report";
  ASSERT_EQ(
      Citadel({"artifacts", "export", steps["evaluate"]["outputs"]["report"], report.string()})
          .exit_code,
      0);
  Json r = Json::parse(*ReadFile(report / "report.json"));
  EXPECT_DOUBLE_EQ(r["metrics"]["accuracy"].get<double>(), accuracy);
  EXPECT_EQ(r["confusion_matrix"]["counts"].size(), 10u);

  // Predictions: one line per test row plus the header, ten probabilities each.
  fs::path preds = tmp_ / "preds";
  ASSERT_EQ(
      Citadel({"artifacts", "export", steps["predict"]["outputs"]["predictions"], preds.string()})
          .exit_code,
      0);
  std::ifstream csv(preds / "predictions.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("row_id,predicted_label,prob_0,", 0), 0u) << header;
  const std::string screened_columns = ",prob_9,ood_score,out_of_distribution";
  EXPECT_EQ(header.substr(header.size() - screened_columns.size()), screened_columns) << header;
  int lines = 0;
  int csv_flagged = 0;
  for (std::string line; std::getline(csv, line);) {
    ++lines;
    csv_flagged += line.substr(line.rfind(',') + 1) == "1" ? 1 : 0;
  }
  EXPECT_EQ(lines, static_cast<int>(steps["prepare"]["metrics"]["test_rows"].get<double>()));

  // The model carries its out-of-distribution detector, fitted on the
  // training split's 64 input features: the session that serves the model
  // passes most unseen test rows and flags rows far from every digit.
  Json shown = CitadelJson({"artifacts", "show", steps["train"]["outputs"]["model"], "--json"});
  std::set<std::string> files;
  for (const Json& f : shown["files"]) files.insert(f["path"].get<std::string>());
  EXPECT_EQ(files, (std::set<std::string>{"model.json", "model.safetensors", "ood.safetensors"}));
  EXPECT_EQ(shown["metadata"]["ood"]["method"], "mahalanobis");
  EXPECT_EQ(shown["metadata"]["ood"]["space"], "input_features");
  EXPECT_EQ(shown["metadata"]["ood"]["quantile"], 0.99);
  fs::path model_dir = tmp_ / "model";
  ASSERT_EQ(Citadel({"artifacts", "export", steps["train"]["outputs"]["model"], model_dir.string()})
                .exit_code,
            0);
  ml::ModelFiles model_files;
  model_files.safetensors = *ReadFile(model_dir / "model.safetensors");
  model_files.model_json = Json::parse(*ReadFile(model_dir / "model.json"));
  model_files.ood = *ReadFile(model_dir / "ood.safetensors");
  auto session = ml::InferenceSession::Load(model_files, "m");
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  const ml::OodDetector* detector = (*session)->ood_detector();
  ASSERT_NE(detector, nullptr);
  EXPECT_EQ(detector->Summary(), shown["metadata"]["ood"]);
  EXPECT_EQ(detector->space(), ml::FeatureSpace::kInputFeatures);
  EXPECT_EQ(detector->dims(), 64);
  fs::path test_dir = tmp_ / "test";
  ASSERT_EQ(Citadel({"artifacts", "export", steps["prepare"]["outputs"]["test"], test_dir.string()})
                .exit_code,
            0);
  auto test_data =
      formats::SafetensorsFile::Parse(*ReadFile(test_dir / "data.safetensors"), "test");
  ASSERT_TRUE(test_data.ok());
  std::vector<float> features((*test_data->Get("features"))->data.size() / sizeof(float));
  std::memcpy(features.data(), (*test_data->Get("features"))->data.data(),
              features.size() * sizeof(float));
  const auto test_rows = static_cast<int64_t>(features.size() / 64);
  // One standard deviation of noise on every pixel: no digit looks like that.
  std::vector<float> noisy = features;
  std::mt19937 rng(1);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  for (float& v : noisy) v += noise(rng);
  const auto count_flagged = [&](const std::vector<float>& rows) {
    auto screened = (*session)->PredictScreened(rows, test_rows);
    EXPECT_TRUE(screened.ok()) << screened.status().ToString();
    if (!screened.ok()) return -1;
    EXPECT_EQ(screened->ood_scores.size(), static_cast<size_t>(test_rows));
    return static_cast<int>(std::count_if(screened->ood_scores.begin(), screened->ood_scores.end(),
                                          [&](double v) { return v > detector->threshold(); }));
  };
  const int flagged = count_flagged(features);
  const int flagged_noisy = count_flagged(noisy);
  EXPECT_GE(flagged, 0);
  // kind: predict and kind: evaluate flag the same test rows as the session
  // a server answers with.
  EXPECT_EQ(csv_flagged, flagged);
  EXPECT_EQ(r["out_of_distribution"]["flagged_rows"], flagged) << r.dump();
  EXPECT_EQ(r["out_of_distribution"]["space"], "input_features") << r.dump();
  EXPECT_DOUBLE_EQ(r["out_of_distribution"]["threshold"].get<double>(), detector->threshold());
  EXPECT_LT(flagged, static_cast<int>(test_rows) / 10) << flagged << " of " << test_rows;
  EXPECT_GT(flagged_noisy, static_cast<int>(test_rows) * 9 / 10)
      << flagged_noisy << " of " << test_rows;

  // Listing by kind finds the one model among the seven artifacts.
  Json models_only = CitadelJson({"artifacts", "ls", "--kind", "model", "--json"});
  ASSERT_EQ(models_only.size(), 1u);
  EXPECT_EQ(models_only[0]["id"], steps["train"]["outputs"]["model"]);
  EXPECT_EQ(CitadelJson({"artifacts", "ls", "--json"}).size(), 7u)
      << "source, train, test, profile, model, report, predictions";

  // The register step made version 1 of "digits" point at the trained model.
  Json models = CitadelJson({"models", "ls", "--json"});
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0]["artifact"], steps["train"]["outputs"]["model"]);
  EXPECT_EQ(models[0]["aliases"], Json::array({"candidate"}));
}

TEST_F(DigitsPipeline, FreshWorkspacesProduceIdenticalArtifactIds) {
  Json a = CitadelJson({"run", spec_.string(), "--json"});
  fs::path other = tmp_ / "ws2";
  ASSERT_EQ(Citadel({"init"}, other).exit_code, 0);
  CliResult second = Citadel({"run", spec_.string(), "--json"}, other);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  Json b = Json::parse(second.out);
  auto sa = StepsByName(a), sb = StepsByName(b);
  for (const char* step : {"prepare", "train", "evaluate", "predict"}) {
    EXPECT_EQ(sa[step]["outputs"], sb[step]["outputs"]) << step;
    EXPECT_FALSE(sa[step]["outputs"].empty()) << step;
  }
  EXPECT_NE(sa["train"]["run_id"], sb["train"]["run_id"]) << "runs are distinct records";
}

TEST_F(DigitsPipeline, RerunIsFullyCachedAndAParameterChangeRerunsOnlyDownstream) {
  Json first = CitadelJson({"run", spec_.string(), "--json"});

  CliResult again = Citadel({"run", spec_.string(), "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_LT(again.seconds, 2.0) << "a fully cached re-run must return in under 2 s";
  Json cached = Json::parse(again.out);
  auto before = StepsByName(first);
  for (const auto& [name, s] : StepsByName(cached)) {
    EXPECT_EQ(s["cached"], true) << name;
    EXPECT_EQ(s["outputs"], before[name]["outputs"]) << name;
    EXPECT_EQ(s["metrics"], before[name]["metrics"]) << name;
  }

  // Change one training parameter, and turn the out-of-distribution detector
  // off: a model without one still evaluates and predicts.
  std::string text = *ReadFile(spec_);
  ASSERT_TRUE(
      WriteFileAtomic(spec_, ReplaceOnce(text, "epochs: 30", "epochs: 12\n    ood: false")).ok());
  Json changed = CitadelJson({"run", spec_.string(), "--json"});
  auto after = StepsByName(changed);
  EXPECT_EQ(after["prepare"]["cached"], true);
  EXPECT_EQ(after["prepare"]["outputs"], before["prepare"]["outputs"]);
  for (const char* step : {"train", "evaluate", "predict"}) {
    EXPECT_EQ(after[step]["cached"], false) << step;
  }
  EXPECT_NE(after["train"]["outputs"]["model"], before["train"]["outputs"]["model"]);
  EXPECT_EQ(after["evaluate"]["status"], "succeeded");
  EXPECT_EQ(after["predict"]["status"], "succeeded");
  Json shown = CitadelJson({"artifacts", "show", after["train"]["outputs"]["model"], "--json"});
  EXPECT_EQ(shown["files"].size(), 2u) << shown.dump();
  EXPECT_FALSE(shown["metadata"].contains("ood"));

  // --force re-executes everything and, being deterministic, reproduces the ids.
  Json forced = CitadelJson({"run", spec_.string(), "--json", "--force"});
  for (const auto& [name, s] : StepsByName(forced)) {
    EXPECT_EQ(s["cached"], false) << name;
    EXPECT_EQ(s["outputs"], after[name]["outputs"]) << name;
  }
}

TEST_F(DigitsPipeline, LineageUpFromTheModelReachesEveryProducingRunAndTheCsv) {
  Json outcome = CitadelJson({"run", spec_.string(), "--json"});
  auto steps = StepsByName(outcome);
  std::string model = steps["train"]["outputs"]["model"];
  Json graph = CitadelJson({"lineage", model, "--up", "--json"});

  std::set<std::string> runs, artifacts;
  std::string source_name;
  for (const Json& n : graph["nodes"]) {
    if (n["type"] == "run") runs.insert(n["id"].get<std::string>());
    if (n["type"] == "artifact") {
      artifacts.insert(n["id"].get<std::string>());
      if (n["kind"] == "source") source_name = n["name"];
    }
  }
  EXPECT_TRUE(runs.count(steps["prepare"]["run_id"].get<std::string>()));
  EXPECT_TRUE(runs.count(steps["train"]["run_id"].get<std::string>()));
  EXPECT_EQ(source_name, "digits.csv.gz");
  EXPECT_TRUE(artifacts.count(steps["prepare"]["outputs"]["train"].get<std::string>()));
  EXPECT_FALSE(artifacts.count(steps["prepare"]["outputs"]["test"].get<std::string>()))
      << "the test split did not feed the model";
  for (const Json& e : graph["edges"]) {
    EXPECT_TRUE(runs.count(e["from"]) || artifacts.count(e["from"])) << e.dump();
    EXPECT_TRUE(runs.count(e["to"]) || artifacts.count(e["to"])) << e.dump();
  }

  // The same model by registry name, and the source CSV digest is the file's.
  Json by_name = CitadelJson({"lineage", "digits@candidate", "--json"});
  EXPECT_EQ(by_name["nodes"].size(), graph["nodes"].size());

  // Down from the source reaches every step that ran.
  std::string source_id;
  for (const Json& n : graph["nodes"]) {
    if (n["type"] == "artifact" && n["kind"] == "source") source_id = n["id"];
  }
  Json down = CitadelJson({"lineage", source_id, "--down", "--json"});
  std::set<std::string> down_runs;
  for (const Json& n : down["nodes"]) {
    if (n["type"] == "run") down_runs.insert(n["step"].get<std::string>());
  }
  EXPECT_EQ(down_runs,
            (std::set<std::string>{"prepare", "train", "evaluate", "predict", "register"}));

  // Text and DOT renderings name the same things.
  CliResult tree = Citadel({"lineage", model});
  EXPECT_NE(tree.out.find("digits.csv.gz"), std::string::npos) << tree.out;
  CliResult dot = Citadel({"lineage", model, "--dot"});
  EXPECT_EQ(dot.out.rfind("digraph lineage {", 0), 0u);
  EXPECT_NE(dot.out.find(source_id), std::string::npos);
}

TEST_F(DigitsPipeline, RunRecordsSpecInputsMetricsEnvironmentAndLogs) {
  Json outcome = CitadelJson({"run", spec_.string(), "--json"});
  std::string train_run = StepsByName(outcome)["train"]["run_id"];
  Json run = CitadelJson({"runs", "show", train_run, "--json"});
  EXPECT_EQ(run["id"], train_run);
  EXPECT_EQ(run["kind"], "train");
  EXPECT_EQ(run["status"], "succeeded");
  EXPECT_EQ(run["spec"]["epochs"], 30);
  EXPECT_EQ(run["seed"], 42);
  ASSERT_EQ(run["inputs"].size(), 1u);
  EXPECT_EQ(run["inputs"][0]["role"], "train");
  EXPECT_EQ(run["outputs"][0]["role"], "model");
  EXPECT_GT(run["metrics"]["accuracy"].get<double>(), 0.9);
  for (const char* key :
       {"citadel_version", "git_commit", "libtorch", "blas", "cpu", "hostname", "threads"}) {
    EXPECT_TRUE(run["env"].contains(key)) << key;
  }
  EXPECT_EQ(run["env"]["libtorch"].get<std::string>().rfind("1.", 0), 0u);
  EXPECT_NE(run["env"]["blas"].get<std::string>().find("blas"), std::string::npos)
      << run["env"]["blas"];

  CliResult logs = Citadel({"runs", "logs", train_run.substr(0, 23)});
  EXPECT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_NE(logs.out.find("epoch 30/30"), std::string::npos) << logs.out;

  Json listed = CitadelJson({"runs", "ls", "--json"});
  EXPECT_EQ(listed.size(), 5u);
}

TEST_F(DigitsPipeline, TrainStepOverItsMemoryLimitIsRefusedBeforeTraining) {
  std::string spec = *ReadFile(spec_);
  spec = ReplaceOnce(spec, "    seed: 42\n", "    seed: 42\n    resources: { memory: 64KiB }\n");
  ASSERT_TRUE(WriteFileAtomic(spec_, spec).ok());
  CliResult r = Citadel({"run", spec_.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("resources.memory is 64.0 KiB but training"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("model and optimizer"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("lower batch_size"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("epoch 1/"), std::string::npos) << "refused before any epoch ran";

  spec = ReplaceOnce(spec, "memory: 64KiB", "memory: 2 GiB");
  ASSERT_TRUE(WriteFileAtomic(spec_, spec).ok());
  EXPECT_EQ(Citadel({"run", spec_.string()}).exit_code, 0);

  spec = ReplaceOnce(spec, "memory: 2 GiB", "memory: lots");
  ASSERT_TRUE(WriteFileAtomic(spec_, spec).ok());
  CliResult bad = Citadel({"run", spec_.string()});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("expected a positive size such as 512MiB"), std::string::npos) << bad.err;
}

// Sets an environment variable for the citadel processes a test starts.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

TEST_F(DigitsPipeline, OnlyStepsThatTrainOrPredictLoadTheTorchRuntime) {
  fs::path not_a_library = tmp_ / "not_a_library.so";
  ASSERT_TRUE(WriteFileAtomic(not_a_library, "plain text").ok());
  for (const fs::path& bad : {tmp_ / "missing.so", not_a_library}) {
    SCOPED_TRACE(bad.string());
    ScopedEnv env("CITADEL_ML_RUNTIME", bad.string());
    CliResult r = Citadel({"run", spec_.string(), "--json"});
    EXPECT_EQ(r.exit_code, 1);
    // The process step ran without torch; the train step says what is missing.
    EXPECT_NE(r.err.find("cannot load the ML runtime libcitadel_ml_torch.so"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find(bad.string()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("CITADEL_ML_RUNTIME"), std::string::npos) << r.err;
  }
  Json runs = CitadelJson({"runs", "ls", "--json"});
  ASSERT_FALSE(runs.empty());
  for (const Json& run : runs) {
    EXPECT_EQ(run["kind"], "process") << run.dump();
    Json shown = CitadelJson({"runs", "show", run["id"], "--json"});
    EXPECT_EQ(shown["status"], "succeeded");
    EXPECT_EQ(shown["env"]["libtorch"], "not loaded");
    EXPECT_EQ(shown["env"]["blas"], "not loaded");
  }

  // With the runtime found, the same pipeline completes, reusing prepare.
  Json outcome = CitadelJson({"run", spec_.string(), "--json"});
  EXPECT_EQ(StepsByName(outcome)["prepare"]["cached"], true);
  EXPECT_EQ(StepsByName(outcome)["train"]["status"], "succeeded");
}

}  // namespace
}  // namespace citadel::testing
