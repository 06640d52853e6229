// Runs the citadel binary in a temporary workspace and captures its output.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "base/text/json.h"

namespace citadel::testing {

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

  // A copy of examples/digits (spec + data) in the temp dir, so tests can
  // edit the spec without touching the repository.
  std::filesystem::path CopyDigitsExample(const std::string& name = "digits");
  // The same for any examples/<example> folder; returns its pipeline.yaml.
  std::filesystem::path CopyExample(const std::string& example);

  std::filesystem::path tmp_;
  std::filesystem::path home_;
};

std::string ReplaceOnce(std::string text, const std::string& from, const std::string& to);

}  // namespace citadel::testing
