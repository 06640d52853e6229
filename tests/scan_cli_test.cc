// `citadel scan` as a user runs it: text and JSON reports, exit codes, both
// policies, on the committed fixtures (tests/fixtures).
#include <gtest/gtest.h>

#include <map>

#include "cli_runner.h"

namespace citadel::testing {
namespace {

TEST_F(CliTest, ScanReportsEveryFileAndExitsOneOnFindings) {
  // Findings exit 1, so the JSON is read from a plain run.
  CliResult r = Citadel({"scan", "tests/fixtures/pickles", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["policy"], "default");
  std::map<std::string, Json> by_name;
  for (const Json& f : j["files"]) {
    by_name[std::filesystem::path(f["path"].get<std::string>()).filename()] = f;
  }
  EXPECT_TRUE(by_name.at("clean_state_dict.pt")["findings"].empty());
  EXPECT_EQ(by_name.at("make_fixtures.py")["scanned"], false);
  const Json& evil = by_name.at("reduce_os_system.pt")["findings"];
  ASSERT_EQ(evil.size(), 1u);
  EXPECT_EQ(evil[0]["severity"], "dangerous");
  EXPECT_EQ(evil[0]["rule"], "dangerous-call");
  EXPECT_EQ(evil[0]["entry"], "reduce_os_system/data.pkl");
  EXPECT_GE(j["summary"]["dangerous"].get<int>(), 3);
  EXPECT_NE(r.err.find("have findings; do not load them"), std::string::npos) << r.err;
}

TEST_F(CliTest, ScanOfCleanFilesExitsZeroAndStrictIsStricter) {
  CliResult clean = Citadel({"scan", "tests/fixtures/pickles/clean_state_dict.pt",
                             "tests/fixtures/torchscript/blobs_mlp.pt"});
  EXPECT_EQ(clean.exit_code, 0) << clean.err;
  EXPECT_NE(clean.out.find("blobs_mlp.pt  zip (torchscript)  clean"), std::string::npos)
      << clean.out;
  CliResult strict =
      Citadel({"scan", "--policy", "strict", "tests/fixtures/torchscript/blobs_mlp.pt"});
  EXPECT_EQ(strict.exit_code, 1);
  EXPECT_NE(strict.out.find("unapproved-call"), std::string::npos) << strict.out;
}

TEST_F(CliTest, ScanWritesSarifForCodeScanningServices) {
  CliResult r = Citadel({"scan", "tests/fixtures/pickles/reduce_os_system.pt", "--sarif"});
  EXPECT_EQ(r.exit_code, 1);
  Json sarif = Json::parse(r.out);
  EXPECT_EQ(sarif["version"], "2.1.0");
  const Json& results = sarif["runs"][0]["results"];
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0]["ruleId"], "dangerous-call");
  EXPECT_EQ(results[0]["level"], "error");
  EXPECT_EQ(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "tests/fixtures/pickles/reduce_os_system.pt");
  EXPECT_EQ(Citadel({"scan", "x.pt", "--sarif", "--json"}).exit_code, 2);
}

TEST_F(CliTest, ScanRefusesMissingPathsAndUnknownPolicies) {
  CliResult missing = Citadel({"scan", "no/such/model.pt"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no/such/model.pt: no such file or directory"), std::string::npos)
      << missing.err;
  EXPECT_EQ(Citadel({"scan", "--policy", "paranoid", "x.pt"}).exit_code, 2);
  EXPECT_EQ(Citadel({"scan"}).exit_code, 2);
}

}  // namespace
}  // namespace citadel::testing
