// Training that survives interruption, driven through the citadel binary:
// SIGKILL at random steps, SIGKILL in the middle of a checkpoint write,
// SIGTERM, a corrupted latest checkpoint and a diverging run. Each resumed
// run must end with the same model artifact id as a run that was never
// interrupted.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <random>

#include "base/system/files.h"
#include "cli_runner.h"

namespace citadel::testing {
namespace {

namespace fs = std::filesystem;

// Digits, an MLP large enough that training takes a few seconds, with
// dropout (so torch's RNG state matters) and a checkpoint every 15 steps.
constexpr const char* kTrainStep = R"(
  - name: train
    kind: train
    dataset: prepare.train
    model: { arch: mlp, hidden: [384, 384], dropout: 0.1 }
    optimizer: { name: adam, lr: 0.0005 }
    lr_schedule: { name: cosine, warmup_epochs: 1 }
    epochs: 6
    batch_size: 8
    seed: 42
    checkpoint: { every_steps: 15, keep: 3 }
)";

class CheckpointResume : public DigitsWorkspaceTest {
 protected:
  void SetUp() override {
    DigitsWorkspaceTest::SetUp();
    // The example's prepare step, then our train step instead of the rest.
    std::string text = *ReadFile(spec_);
    text = text.substr(0, text.find("  - name: train")) + kTrainStep;
    ASSERT_TRUE(WriteFileAtomic(spec_, text).ok());
  }

  // The model id of a run that was never interrupted, in its own workspace.
  std::string ReferenceModel() {
    const fs::path home = tmp_ / "reference";
    EXPECT_EQ(Citadel({"init"}, home).exit_code, 0);
    Json outcome = CitadelJson({"run", spec_.string(), "--json"}, home);
    return outcome["steps"][1]["outputs"]["model"].get<std::string>();
  }

  // Runs the pipeline to the end; returns the train step's outcome.
  Json RunToEnd(CliResult* raw = nullptr) {
    CliResult r = Citadel({"run", spec_.string(), "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (raw != nullptr) *raw = r;
    Json outcome = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(outcome.is_discarded()) << r.out;
    return outcome.is_discarded() ? Json() : outcome["steps"][1];
  }

  // Checkpoint artifacts of the workspace, highest step first.
  std::vector<Json> Checkpoints() {
    Json list = CitadelJson({"artifacts", "ls", "--kind", "checkpoint", "--json"});
    std::vector<Json> out(list.begin(), list.end());
    std::sort(out.begin(), out.end(), [](const Json& a, const Json& b) {
      return a["metadata"]["step"].get<int64_t>() > b["metadata"]["step"].get<int64_t>();
    });
    return out;
  }
};

TEST_F(CheckpointResume, AnUninterruptedRunKeepsItsNewestCheckpointsAsArtifacts) {
  CliResult raw;
  Json train = RunToEnd(&raw);
  ASSERT_EQ(train["status"], "succeeded");
  EXPECT_NE(raw.err.find("checkpoint at step 15 (0 epochs done) →"), std::string::npos) << raw.err;
  std::vector<Json> kept = Checkpoints();
  ASSERT_EQ(kept.size(), 3u) << "keep: 3";
  for (const Json& c : kept) EXPECT_EQ(c["created_by_run"], train["run_id"]);
  // The newest three, 15 steps apart; pruned ones left no blob behind.
  EXPECT_EQ(kept[0]["metadata"]["step"].get<int64_t>() - kept[2]["metadata"]["step"].get<int64_t>(),
            30);
  EXPECT_EQ(Citadel({"store", "verify"}).exit_code, 0);
  // Lineage: the checkpoints are outputs of the train run.
  Json show = CitadelJson({"runs", "show", train["run_id"], "--json"});
  int outputs = 0;
  for (const Json& o : show["outputs"]) outputs += o["role"] == "checkpoint";
  EXPECT_EQ(outputs, 3);
  // Metrics were streamed per step, not only per epoch.
  EXPECT_TRUE(show["metrics"].contains("step_loss")) << show["metrics"].dump();
}

TEST_F(CheckpointResume, SigkillAtRandomStepsThenResumingGivesTheSameModel) {
  const std::string reference = ReferenceModel();
  std::mt19937 rng(20261126);  // seeded: a failure names the checkpoints it killed after
  int total = 0;
  for (int round = 0; round < 3; ++round) {
    const int after = 1 + static_cast<int>(rng() % 6);
    total += after;
    SCOPED_TRACE("round " + std::to_string(round) + ", killed after checkpoint " +
                 std::to_string(after) + " of this process");
    SpawnedCitadel p = SpawnCitadel({"run", spec_.string()});
    ASSERT_TRUE(WaitForStderr(p, "  checkpoint at step", after)) << *ReadFile(p.err);
    ::kill(p.pid, SIGKILL);
    EXPECT_EQ(WaitCitadel(p), 128 + SIGKILL);
    if (round > 0) {
      EXPECT_NE(ReadFile(p.err)->find("resuming run"), std::string::npos) << *ReadFile(p.err);
    }
  }
  CliResult raw;
  Json train = RunToEnd(&raw);
  EXPECT_NE(raw.err.find("resuming run"), std::string::npos) << raw.err;
  EXPECT_NE(raw.err.find("was left running by a process that died"), std::string::npos);
  EXPECT_EQ(train["outputs"]["model"], reference) << "bit-identical weights after 3 SIGKILLs";
  EXPECT_EQ(Citadel({"store", "verify"}).exit_code, 0);
}

TEST_F(CheckpointResume, AKillInTheMiddleOfACheckpointWriteFallsBackToThePreviousOne) {
  const std::string reference = ReferenceModel();
  SpawnedCitadel p =
      SpawnCitadel({"run", spec_.string()}, {"CITADEL_TEST_KILL_IN_CHECKPOINT_WRITE=3"});
  EXPECT_EQ(WaitCitadel(p), 128 + SIGKILL) << *ReadFile(p.err);
  // Half of checkpoint 3 is on disk, in the store's temp directory only.
  EXPECT_TRUE(fs::exists(home_ / "blobs" / "tmp" / "blob-killed-mid-write"));
  std::vector<Json> recorded = Checkpoints();
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_EQ(recorded[0]["metadata"]["step"], 30);

  CliResult raw;
  Json train = RunToEnd(&raw);
  EXPECT_NE(raw.err.find(fmt::format("from checkpoint {} (step 30, 0 epochs done)",
                                     recorded[0]["id"].get<std::string>())),
            std::string::npos)
      << raw.err;
  EXPECT_EQ(train["outputs"]["model"], reference);
}

TEST_F(CheckpointResume, SigtermSavesACheckpointAndRunsResumeContinuesIt) {
  const std::string reference = ReferenceModel();
  SpawnedCitadel p = SpawnCitadel({"run", spec_.string()});
  ASSERT_TRUE(WaitForStderr(p, "  checkpoint at step", 2)) << *ReadFile(p.err);
  ::kill(p.pid, SIGTERM);
  EXPECT_EQ(WaitCitadel(p), 1);
  const std::string err = *ReadFile(p.err);
  EXPECT_NE(err.find("training interrupted by signal 15"), std::string::npos) << err;
  EXPECT_NE(err.find("`citadel runs resume "), std::string::npos) << err;

  Json runs = CitadelJson({"runs", "ls", "--json"});
  std::string interrupted;
  for (const Json& r : runs) {
    if (r["step"] == "train") interrupted = r["id"];
  }
  ASSERT_FALSE(interrupted.empty());
  EXPECT_EQ(CitadelJson({"runs", "show", interrupted, "--json"})["status"], "cancelled");
  // The final checkpoint is the interrupted state: the step the message names.
  std::vector<Json> recorded = Checkpoints();
  ASSERT_GE(recorded.size(), 2u);
  const size_t at = err.find(", step ", err.find("training interrupted by signal 15"));
  ASSERT_NE(at, std::string::npos) << err;
  EXPECT_EQ(recorded[0]["metadata"]["step"].get<int64_t>(), std::stoll(err.substr(at + 7))) << err;

  Json resumed = CitadelJson({"runs", "resume", interrupted.substr(0, 20), "--json"});
  ASSERT_EQ(resumed["steps"].size(), 1u);
  EXPECT_EQ(resumed["steps"][0]["status"], "succeeded");
  EXPECT_EQ(resumed["steps"][0]["outputs"]["model"], reference);
  // Lineage: the new run took the checkpoint as an input.
  Json show = CitadelJson({"runs", "show", resumed["steps"][0]["run_id"], "--json"});
  bool from_checkpoint = false;
  for (const Json& in : show["inputs"]) {
    from_checkpoint |= in["role"] == "resume_from" && in["artifact"] == recorded[0]["id"];
  }
  EXPECT_TRUE(from_checkpoint) << show["inputs"].dump();

  // A finished run cannot be resumed; nor can a data step.
  CliResult again = Citadel({"runs", "resume", resumed["steps"][0]["run_id"]});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("only a failed or cancelled run can be resumed"), std::string::npos)
      << again.err;
}

TEST_F(CheckpointResume, ACorruptedLatestCheckpointFallsBackToThePreviousOneWithAWarning) {
  const std::string reference = ReferenceModel();
  SpawnedCitadel p = SpawnCitadel({"run", spec_.string()});
  ASSERT_TRUE(WaitForStderr(p, "  checkpoint at step", 4)) << *ReadFile(p.err);
  ::kill(p.pid, SIGKILL);
  WaitCitadel(p);
  std::vector<Json> recorded = Checkpoints();
  ASSERT_GE(recorded.size(), 2u);
  // Flip one byte in the newest checkpoint's file blob.
  Json shown = CitadelJson({"artifacts", "show", recorded[0]["id"], "--json"});
  const std::string hex = shown["files"][0]["sha256"];
  const fs::path blob = home_ / "blobs" / "sha256" / hex.substr(0, 2) / hex;
  ASSERT_TRUE(fs::exists(blob)) << blob;
  fs::permissions(blob, fs::perms::owner_write, fs::perm_options::add);
  {
    std::fstream f(blob, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(blob) / 2));
    f.put('\x7f');
  }

  CliResult raw;
  Json train = RunToEnd(&raw);
  EXPECT_NE(raw.err.find(fmt::format("checkpoint {} (step", recorded[0]["id"].get<std::string>())),
            std::string::npos)
      << raw.err;
  EXPECT_NE(raw.err.find("is unusable"), std::string::npos) << raw.err;
  EXPECT_NE(raw.err.find(
                fmt::format("falling back to checkpoint {}", recorded[1]["id"].get<std::string>())),
            std::string::npos)
      << raw.err;
  EXPECT_EQ(train["outputs"]["model"], reference);
}

TEST_F(CheckpointResume, ADivergingRunFailsAndNamesTheLastGoodCheckpoint) {
  std::string text = *ReadFile(spec_);
  text = ReplaceOnce(text, "{ name: adam, lr: 0.0005 }", "{ name: sgd, lr: 10.0, momentum: 0.99 }");
  text = ReplaceOnce(text, "every_steps: 15", "every_steps: 2");
  ASSERT_TRUE(WriteFileAtomic(spec_, text).ok());
  CliResult r = Citadel({"run", spec_.string()});
  ASSERT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("training diverged at epoch"), std::string::npos) << r.err;
  const size_t named = r.err.find("the last good checkpoint is sha256:");
  ASSERT_NE(named, std::string::npos) << r.err;
  const std::string id = r.err.substr(named + 28, 71);
  EXPECT_EQ(CitadelJson({"artifacts", "show", id, "--json"})["kind"], "checkpoint");
  EXPECT_EQ(Citadel({"store", "verify"}).exit_code, 0);
}

TEST_F(CheckpointResume, CheckpointSettingsAreCheckedAndDoNotChangeTheCacheKey) {
  std::string text = *ReadFile(spec_);
  ASSERT_TRUE(WriteFileAtomic(spec_, ReplaceOnce(text, "every_steps: 15", "every_steps: 0")).ok());
  CliResult bad = Citadel({"run", spec_.string()});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("checkpoint/every_steps"), std::string::npos) << bad.err;

  ASSERT_TRUE(WriteFileAtomic(spec_, text).ok());
  Json first = RunToEnd();
  ASSERT_TRUE(
      WriteFileAtomic(spec_, ReplaceOnce(text, "every_steps: 15, keep: 3", "every_seconds: 5"))
          .ok());
  Json second = RunToEnd();
  EXPECT_EQ(second["cached"], true) << "checkpoint frequency does not change the model";
  EXPECT_EQ(second["outputs"]["model"], first["outputs"]["model"]);
}

}  // namespace
}  // namespace citadel::testing
