// Runs the citadel binary in a temporary workspace and captures its output.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "base/text/json.h"

namespace citadel::testing {

// A citadel process running in the background; stdout and stderr go to
// files so the test can watch them.
struct SpawnedCitadel {
  pid_t pid = -1;
  std::filesystem::path out;
  std::filesystem::path err;
};

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  double seconds = 0;
};

// A fresh workspace directory (removed afterwards) plus helpers to run
// `citadel` against it with CITADEL_HOME set.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  CliResult Citadel(const std::vector<std::string>& args, const std::filesystem::path& home);
  CliResult Citadel(const std::vector<std::string>& args) { return Citadel(args, home_); }
  // Runs and parses stdout as JSON; fails the test when either fails.
  Json CitadelJson(const std::vector<std::string>& args) { return CitadelJson(args, home_); }
  Json CitadelJson(const std::vector<std::string>& args, const std::filesystem::path& home);

  // Starts citadel without waiting; `env` adds NAME=VALUE entries.
  SpawnedCitadel SpawnCitadel(const std::vector<std::string>& args,
                              const std::vector<std::string>& env = {});
  // Waits for it to end: the exit code, or 128 + signal when killed.
  int WaitCitadel(const SpawnedCitadel& process);
  // Polls its stderr until `needle` has appeared `count` times: false when
  // the process ended first or `timeout_s` passed.
  bool WaitForStderr(const SpawnedCitadel& process, const std::string& needle, int count,
                     double timeout_s = 120);

  // A copy of examples/digits (spec + data) in the temp dir, so tests can
  // edit the spec without touching the repository.
  std::filesystem::path CopyDigitsExample(const std::string& name = "digits");
  // The same for any examples/<example> folder; returns its pipeline.yaml.
  std::filesystem::path CopyExample(const std::string& example);

  std::filesystem::path tmp_;
  std::filesystem::path home_;
};

// A CliTest with an initialised workspace and a copy of examples/digits.
class DigitsWorkspaceTest : public CliTest {
 protected:
  void SetUp() override;
  std::filesystem::path spec_;  // the copy's pipeline.yaml
};

// Runs a shell command (peer tools: python3, sha256sum, sqlite3); its exit
// status and its stdout and stderr together.
std::pair<int, std::string> Shell(const std::string& command);

std::string ReplaceOnce(std::string text, const std::string& from, const std::string& to);

}  // namespace citadel::testing
