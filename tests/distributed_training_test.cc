// Data-parallel training through the binary: `citadel run --workers 2`
// against one process, a worker killed mid-training, and a group stopped by
// SIGTERM and resumed.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "base/system/files.h"
#include "cli_runner.h"

namespace citadel::testing {
namespace {

namespace fs = std::filesystem;

// Processes whose parent is `parent`.
std::vector<pid_t> Children(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid …; comm may hold spaces, so parse after ')'.
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

class DistributedTraining : public DigitsWorkspaceTest {};

TEST_F(DistributedTraining, TwoProcessesReachTheSingleProcessAccuracyWithinOnePoint) {
  Json one = CitadelJson({"run", spec_.string(), "--json"});
  CliResult r = Citadel({"run", spec_.string(), "--workers", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json two = Json::parse(r.out);
  EXPECT_NE(r.err.find("training data-parallel: 2 processes"), std::string::npos) << r.err;
  // prepare is cached (no ml); train is its own cache entry with 2 workers.
  EXPECT_EQ(two["steps"][0]["cached"], true);
  EXPECT_EQ(two["steps"][1]["cached"], false);
  EXPECT_NE(two["steps"][1]["outputs"]["model"], one["steps"][1]["outputs"]["model"]);
  const double a1 = one["steps"][2]["metrics"]["accuracy"].get<double>();
  const double a2 = two["steps"][2]["metrics"]["accuracy"].get<double>();
  EXPECT_GE(a1, 0.95);
  EXPECT_LE(std::abs(a1 - a2), 0.01) << "1 process " << a1 << ", 2 processes " << a2;

  fs::path model = tmp_ / "model2";
  ASSERT_EQ(Citadel({"artifacts", "export", two["steps"][1]["outputs"]["model"], model.string()})
                .exit_code,
            0);
  Json model_json = Json::parse(*ReadFile(model / "model.json"));
  EXPECT_EQ(model_json["training"]["processes"], 2);
  // The out-of-distribution detector is written once, by rank 0, and
  // depends on the training data alone: the single-process model's, byte
  // for byte.
  const auto ood_digest = [&](const std::string& id) {
    const Json shown = CitadelJson({"artifacts", "show", id, "--json"});
    for (const Json& f : shown["files"]) {
      if (f["path"] == "ood.safetensors") return f["sha256"].get<std::string>();
    }
    return std::string("missing");
  };
  EXPECT_EQ(ood_digest(two["steps"][1]["outputs"]["model"]),
            ood_digest(one["steps"][1]["outputs"]["model"]));
  EXPECT_NE(ood_digest(one["steps"][1]["outputs"]["model"]), "missing");

  // The same with 2 workers again: deterministic, so cached.
  Json again = CitadelJson({"run", spec_.string(), "--workers", "2", "--json"});
  EXPECT_EQ(again["steps"][1]["cached"], true);
}

TEST_F(DistributedTraining, AWorkerThatDiesFailsTheStepInsteadOfHanging) {
  std::string text = *ReadFile(spec_);
  text = ReplaceOnce(text, "epochs: 30", "epochs: 400");
  ASSERT_TRUE(WriteFileAtomic(spec_, text).ok());
  SpawnedCitadel p = SpawnCitadel({"run", spec_.string(), "--workers", "2"});
  ASSERT_TRUE(WaitForStderr(p, "epoch 2/400", 1)) << *ReadFile(p.err);
  std::vector<pid_t> workers = Children(p.pid);
  ASSERT_EQ(workers.size(), 1u);
  ::kill(workers[0], SIGKILL);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(WaitCitadel(p), 1);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 60) << "failed promptly, did not hang";
  const std::string err = *ReadFile(p.err);
  EXPECT_NE(err.find(fmt::format("worker rank 1 (pid {}) was killed by signal 9", workers[0])),
            std::string::npos)
      << err;
}

TEST_F(DistributedTraining, SigtermStopsTheGroupAtOneStepAndResumingGivesTheSameModel) {
  std::string text = *ReadFile(spec_);
  text = ReplaceOnce(text, "    seed: 42\n", "    seed: 42\n    checkpoint: { every_steps: 20 }\n");
  ASSERT_TRUE(WriteFileAtomic(spec_, text).ok());
  // The reference: an uninterrupted 2-process run in its own workspace.
  const fs::path reference_home = tmp_ / "reference";
  ASSERT_EQ(Citadel({"init"}, reference_home).exit_code, 0);
  Json reference = CitadelJson({"run", spec_.string(), "--workers", "2", "--json"}, reference_home);

  SpawnedCitadel p = SpawnCitadel({"run", spec_.string(), "--workers", "2"});
  ASSERT_TRUE(WaitForStderr(p, "  checkpoint at step", 3)) << *ReadFile(p.err);
  ::kill(p.pid, SIGTERM);  // rank 0 only: the all-reduce carries the request to rank 1
  EXPECT_EQ(WaitCitadel(p), 1);
  const std::string err = *ReadFile(p.err);
  EXPECT_NE(err.find("training interrupted by signal 15"), std::string::npos) << err;
  EXPECT_EQ(err.find("worker rank 1 (pid"), std::string::npos)
      << "the worker stopped cleanly: " << err;

  CliResult resumed = Citadel({"run", spec_.string(), "--workers", "2", "--json"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resuming run"), std::string::npos) << resumed.err;
  Json outcome = Json::parse(resumed.out);
  EXPECT_EQ(outcome["steps"][1]["outputs"]["model"], reference["steps"][1]["outputs"]["model"]);
}

TEST_F(DistributedTraining, ClusterSettingsInTheEnvironmentAreChecked) {
  struct Case {
    std::vector<std::string> env;
    std::string message;
  } cases[] = {
      {{"CITADEL_WORLD_SIZE=2", "CITADEL_RANK=1", "CITADEL_MASTER_ADDR=127.0.0.1"},
       "`citadel run` must be rank 0"},
      {{"CITADEL_WORLD_SIZE=2"}, "needs CITADEL_MASTER_ADDR"},
      {{"CITADEL_WORLD_SIZE=two"}, "CITADEL_WORLD_SIZE='two' is not an integer"},
  };
  for (const Case& c : cases) {
    SpawnedCitadel p = SpawnCitadel({"run", spec_.string()}, c.env);
    EXPECT_EQ(WaitCitadel(p), 1);
    const std::string err = *ReadFile(p.err);
    EXPECT_NE(err.find(c.message), std::string::npos) << err;
  }
}

TEST_F(DistributedTraining, WorkerCommandChecksItsArguments) {
  CliResult r = Citadel({"worker", "--rank", "0", "--world", "2", "--master", "127.0.0.1:1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("rank 0 is `citadel run`"), std::string::npos) << r.err;
  r = Citadel({"worker", "--rank", "1", "--world", "2", "--master", "nonsense"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is not HOST:PORT"), std::string::npos) << r.err;
  // Nobody listens there: the rendezvous gives up after the timeout, naming it.
  r = Citadel(
      {"worker", "--rank", "1", "--world", "2", "--master", "127.0.0.1:1", "--timeout", "2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("could not join the training group at 127.0.0.1:1"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace citadel::testing
