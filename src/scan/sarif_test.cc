#include "scan/sarif.h"

#include <gtest/gtest.h>

#include <set>

namespace citadel::scan {
namespace {

TEST(Sarif, OneResultPerFindingWithItsLevelRuleAndLocation) {
  FileReport evil;
  evil.path = "models/evil.pt";
  evil.format = "zip (pytorch)";
  evil.findings.push_back({"models/evil.pt", "evil/data.pkl", 354, Severity::kDangerous,
                           "dangerous-call", "calls posix.system (REDUCE)"});
  evil.findings.push_back(
      {"models/evil.pt", "", 0, Severity::kSuspicious, "malformed-archive", "cannot be read"});
  FileReport clean;
  clean.path = "models/ok.pt";
  clean.format = "zip (pytorch)";
  Json sarif = ToSarif({evil, clean}, "1.2.3");

  EXPECT_EQ(sarif["version"], "2.1.0");
  ASSERT_EQ(sarif["runs"].size(), 1u);
  const Json& run = sarif["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["name"], "citadel-scan");
  EXPECT_EQ(run["tool"]["driver"]["version"], "1.2.3");
  std::set<std::string> rule_ids;
  for (const Json& r : run["tool"]["driver"]["rules"]) rule_ids.insert(r["id"]);
  ASSERT_EQ(run["results"].size(), 2u);

  const Json& first = run["results"][0];
  EXPECT_EQ(first["ruleId"], "dangerous-call");
  EXPECT_TRUE(rule_ids.count(first["ruleId"]));
  EXPECT_EQ(first["level"], "error");
  EXPECT_EQ(first["message"]["text"], "evil/data.pkl: calls posix.system (REDUCE)");
  const Json& where = first["locations"][0];
  EXPECT_EQ(where["physicalLocation"]["artifactLocation"]["uri"], "models/evil.pt");
  EXPECT_FALSE(where["physicalLocation"].contains("region")) << "an entry offset is not a file one";
  EXPECT_EQ(where["logicalLocations"][0]["fullyQualifiedName"], "evil/data.pkl");
  EXPECT_EQ(first["properties"]["entryOffset"], 354);

  const Json& second = run["results"][1];
  EXPECT_EQ(second["level"], "warning");
  EXPECT_EQ(second["locations"][0]["physicalLocation"]["region"]["byteOffset"], 0);
  EXPECT_TRUE(rule_ids.count(second["ruleId"]));
}

TEST(Sarif, EveryRuleTheScannerRaisesIsDeclared) {
  // The rules ModelScanner and the pickle machine use (model_scanner.cc).
  std::set<std::string> declared;
  for (const Rule& r : Rules()) {
    EXPECT_FALSE(r.description.empty()) << r.id;
    EXPECT_TRUE(declared.insert(std::string(r.id)).second) << "duplicate " << r.id;
  }
  for (const char* used : {"dangerous-call",     "dangerous-global",      "unapproved-call",
                           "unapproved-global",  "computed-callable",     "unresolved-global",
                           "malformed-pickle",   "malformed-archive",     "encrypted-entry",
                           "unreadable-entry",   "misleading-entry-name", "crc-mismatch",
                           "nesting-too-deep",   "malformed-safetensors", "malformed-npy",
                           "object-array",       "compressed-content",    "scan-budget-exceeded",
                           "malformed-gguf",     "template-injection",    "malformed-onnx",
                           "external-data",      "custom-operator",       "malformed-hdf5",
                           "malformed-keras",    "keras-lambda",          "keras-tf-op",
                           "keras-custom-object"}) {
    EXPECT_TRUE(declared.count(used)) << used;
  }
}

}  // namespace
}  // namespace citadel::scan
