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

TEST_F(CliTest, ImportScansFirstRefusesOrQuarantinesAndRecordsWhereItCameFrom) {
  ASSERT_EQ(Citadel({"init"}).exit_code, 0);
  CliResult refused =
      Citadel({"import", "tests/fixtures/pickles/reduce_os_system.pt", "--name", "evil"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("dangerous-call (calls posix.system (REDUCE)); nothing was imported"),
            std::string::npos)
      << refused.err;
  EXPECT_TRUE(CitadelJson({"artifacts", "ls", "--json"}).empty()) << "nothing stored";

  Json quarantined = CitadelJson({"import", "tests/fixtures/pickles/reduce_os_system.pt", "--name",
                                  "evil", "--quarantine", "--json"});
  EXPECT_EQ(quarantined["quarantined"], true);
  Json evil = CitadelJson({"artifacts", "show", quarantined["artifact"], "--json"});
  EXPECT_EQ(evil["metadata"]["quarantined"], true);
  EXPECT_EQ(evil["metadata"]["scan"]["findings"][0]["rule"], "dangerous-call");

  Json clean = CitadelJson(
      {"import", "tests/fixtures/torchscript/digits_mlp.pt", "--name", "digits-ts", "--json"});
  EXPECT_EQ(clean["quarantined"], false);
  Json artifact = CitadelJson({"artifacts", "show", clean["artifact"], "--json"});
  EXPECT_EQ(artifact["kind"], "file");
  EXPECT_NE(artifact["metadata"]["imported_from"].get<std::string>().find(
                "tests/fixtures/torchscript/digits_mlp.pt"),
            std::string::npos);
  Json run = CitadelJson({"runs", "show", clean["run_id"], "--json"});
  EXPECT_EQ(run["kind"], "import");
  EXPECT_EQ(run["status"], "succeeded");
  EXPECT_EQ(run["outputs"][0]["artifact"], clean["artifact"]);
  EXPECT_EQ(Citadel({"import", "no/such.pt", "--name", "x"}).exit_code, 1);
}

}  // namespace
}  // namespace citadel::testing
