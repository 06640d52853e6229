// `citadel scan` as a user runs it: text and JSON reports, exit codes, both
// policies, on the committed fixtures (tests/fixtures).
#include <gtest/gtest.h>

#include <map>
#include <set>

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

TEST_F(CliTest, ScanJudgesGgufOnnxAndKerasFilesByContent) {
  CliResult r = Citadel(
      {"scan", "tests/fixtures/gguf", "tests/fixtures/onnx", "tests/fixtures/keras", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  Json j = Json::parse(r.out);
  std::map<std::string, Json> by_name;
  for (const Json& f : j["files"]) {
    by_name[std::filesystem::path(f["path"].get<std::string>()).filename()] = f;
  }
  const std::map<std::string, std::string> clean = {
      {"clean.gguf", "gguf"},           {"clean.onnx", "onnx"},
      {"external_inside.onnx", "onnx"}, {"local_function.onnx", "onnx"},
      {"contrib_domain.onnx", "onnx"},  {"dense.h5", "hdf5 (keras)"},
      {"dense.keras", "zip (keras)"}};
  for (const auto& [name, format] : clean) {
    EXPECT_EQ(by_name.at(name)["format"], format) << name;
    EXPECT_TRUE(by_name.at(name)["findings"].empty()) << name << ": " << by_name.at(name).dump();
  }
  struct Expected {
    std::string file, rule, severity, entry;
  };
  for (const Expected& e : std::vector<Expected>{
           {"template_ssti.gguf", "template-injection", "dangerous", ""},
           {"overlapping.gguf", "malformed-gguf", "suspicious", ""},
           {"external_escape.onnx", "external-data", "dangerous", ""},
           {"external_absolute.onnx", "external-data", "dangerous", ""},
           {"custom_domain.onnx", "custom-operator", "suspicious", ""},
           {"subgraph_custom.onnx", "custom-operator", "suspicious", ""},
           {"lambda.h5", "keras-lambda", "dangerous", ""},
           {"lambda_latest.h5", "keras-lambda", "dangerous", ""},
           {"lambda.keras", "keras-lambda", "dangerous", "config.json"},
           {"module_function.keras", "keras-custom-object", "dangerous", "config.json"}}) {
    const Json& findings = by_name.at(e.file)["findings"];
    ASSERT_FALSE(findings.empty()) << e.file;
    EXPECT_EQ(findings[0]["rule"], e.rule) << e.file << ": " << findings.dump();
    EXPECT_EQ(findings[0]["severity"], e.severity) << e.file;
    EXPECT_EQ(findings[0]["entry"], e.entry) << e.file;
  }
  // Strict: a custom operator domain is dangerous, ONNX Runtime's own suspicious.
  CliResult strict_run =
      Citadel({"scan", "--policy", "strict", "tests/fixtures/onnx/custom_domain.onnx",
               "tests/fixtures/onnx/contrib_domain.onnx", "--json"});
  EXPECT_EQ(strict_run.exit_code, 1);
  Json strict = Json::parse(strict_run.out);
  EXPECT_EQ(strict["files"][0]["findings"][0]["severity"], "dangerous");   // custom_domain
  EXPECT_EQ(strict["files"][1]["findings"][0]["severity"], "suspicious");  // contrib_domain
}

TEST_F(CliTest, ScanSarifDeclaresTheRulesOfTheNewFormats) {
  CliResult r = Citadel({"scan", "tests/fixtures/gguf/template_ssti.gguf",
                         "tests/fixtures/onnx/external_escape.onnx",
                         "tests/fixtures/keras/lambda.keras", "--sarif"});
  EXPECT_EQ(r.exit_code, 1);
  Json sarif = Json::parse(r.out);
  std::set<std::string> declared;
  for (const Json& rule : sarif["runs"][0]["tool"]["driver"]["rules"]) declared.insert(rule["id"]);
  std::set<std::string> raised;
  for (const Json& result : sarif["runs"][0]["results"]) {
    EXPECT_TRUE(declared.count(result["ruleId"])) << result.dump();
    EXPECT_EQ(result["level"], "error") << result.dump();
    raised.insert(result["ruleId"]);
  }
  EXPECT_EQ(raised, (std::set<std::string>{"template-injection", "external-data", "keras-lambda"}));
  // A GGUF finding has a byte offset in the file; a .keras one names its entry.
  for (const Json& result : sarif["runs"][0]["results"]) {
    const Json& location = result["locations"][0];
    if (result["ruleId"] == "template-injection") {
      EXPECT_GT(location["physicalLocation"]["region"]["byteOffset"].get<int>(), 100);
    }
    if (result["ruleId"] == "keras-lambda") {
      EXPECT_EQ(location["logicalLocations"][0]["fullyQualifiedName"], "config.json");
    }
  }
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
