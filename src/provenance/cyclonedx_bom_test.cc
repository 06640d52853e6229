#include "provenance/cyclonedx_bom.h"

#include <gtest/gtest.h>

namespace citadel::provenance {
namespace {

BomInput Sample() {
  BomInput in;
  in.model.artifact = {"sha256:" + std::string(64, 'a'),
                       "model",
                       "m",
                       "x",
                       10,
                       {{"model.json", std::string(64, 'c'), 10}},
                       "run-1",
                       {"sha256:" + std::string(64, 'b')},
                       {},
                       {}};
  in.model.datasets = {"sha256:" + std::string(64, 'b')};
  in.model.training = {{"epochs", "3"}};
  in.model.metrics = {{"accuracy", 0.91, "test"}};
  in.model.scan_policy = "default";
  in.model.scanned_files = 1;
  in.data.push_back({"sha256:" + std::string(64, 'b'),
                     "dataset",
                     "train",
                     "y",
                     5,
                     {},
                     "run-0",
                     {},
                     {"email: 3 email value(s) detected"},
                     {}});
  in.libraries = {{"libtorch", "1.13.0", "training runtime"}, {"openblas", "", "BLAS"}};
  in.citadel_version = "0.1";
  in.serial_uuid = "01a21823-26b9-71f0-a7f2-184bba20bf63";
  in.timestamp = "2026-11-26T10:00:00.000Z";
  return in;
}

TEST(CycloneDxBom, TheModelIsTheSubjectWithItsCardDataAndDependencies) {
  const Json bom = CycloneDxBom(Sample());
  EXPECT_EQ(bom["specVersion"], "1.6");
  EXPECT_EQ(bom["serialNumber"], "urn:uuid:01a21823-26b9-71f0-a7f2-184bba20bf63");
  const Json& m = bom["metadata"]["component"];
  EXPECT_EQ(m["type"], "machine-learning-model");
  EXPECT_EQ(m["hashes"][0]["content"], std::string(64, 'a'));
  EXPECT_EQ(m["components"][0]["bom-ref"], "sha256:" + std::string(64, 'a') + "#model.json");
  EXPECT_EQ(m["modelCard"]["modelParameters"]["datasets"][0]["ref"],
            "sha256:" + std::string(64, 'b'));
  EXPECT_EQ(m["modelCard"]["quantitativeAnalysis"]["performanceMetrics"][0]["value"], "0.91");
  EXPECT_EQ(m["modelCard"]["properties"][0]["name"], "citadel:training:epochs");
  // A dataset's PII is its sensitive data.
  const Json& data = bom["components"][0];
  EXPECT_EQ(data["type"], "data");
  EXPECT_EQ(data["data"][0]["sensitiveData"][0], "email: 3 email value(s) detected");
  // A library without a known version has none, rather than a made-up one.
  EXPECT_EQ(bom["components"][2]["name"], "openblas");
  EXPECT_FALSE(bom["components"][2].contains("version"));
  // The model depends on the libraries and on what its run read.
  const Json& deps = bom["dependencies"][0];
  EXPECT_EQ(deps["ref"], m["bom-ref"]);
  EXPECT_EQ(deps["dependsOn"].size(), 3u);
  EXPECT_FALSE(bom.contains("vulnerabilities"));
}

TEST(CycloneDxBom, ScanFindingsAreVulnerabilitiesOfTheFileTheyAreIn) {
  BomInput in = Sample();
  in.model.findings = {{"model.json", "", "dangerous", "dangerous-call", "os.system"},
                       {"model.json", "data.pkl", "suspicious", "unknown-global", "x.y"}};
  const Json bom = CycloneDxBom(in);
  ASSERT_EQ(bom["vulnerabilities"].size(), 2u);
  const Json& v = bom["vulnerabilities"][0];
  EXPECT_EQ(v["id"], "CITADEL-SCAN-dangerous-call");
  EXPECT_EQ(v["ratings"][0]["severity"], "critical");
  EXPECT_EQ(v["affects"][0]["ref"], "sha256:" + std::string(64, 'a') + "#model.json");
  EXPECT_EQ(bom["vulnerabilities"][1]["ratings"][0]["severity"], "medium");
  EXPECT_NE(bom["vulnerabilities"][1]["description"].get<std::string>().find("model.json!data.pkl"),
            std::string::npos);
}

}  // namespace
}  // namespace citadel::provenance
