// `citadel bom` as a user meets it: the CycloneDX 1.6 AI-BOM of the digits
// model validated by a peer (Python's jsonschema against the CycloneDX 1.6
// schema with its SPDX and JSF schemas), its contents checked against what
// the catalog and the files themselves say, and an imported malicious file's
// scan findings reported as vulnerabilities.
#include <gtest/gtest.h>

#include <fstream>

#include "base/system/files.h"
#include "cli_runner.h"

namespace citadel::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kCycloneDx = "../shared/testdata/cyclonedx";

constexpr const char* kPeerCheck = R"PY(
import json, sys
import jsonschema
schemas, bom_path = sys.argv[1:3]
def load(name):
    return json.load(open(f"{schemas}/{name}"))
store = {}
for name in ("bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"):
    s = load(name)
    store[s["$id"]] = s
schema = load("bom-1.6.schema.json")
resolver = jsonschema.RefResolver.from_schema(schema, store=store)
validator = jsonschema.Draft7Validator(schema, resolver=resolver,
                                      format_checker=jsonschema.FormatChecker())
bom = json.load(open(bom_path))
errors = sorted(validator.iter_errors(bom), key=lambda e: list(e.path))
for e in errors[:5]:
    print("invalid at", "/".join(map(str, e.path)), ":", e.message)
# Every reference resolves to a bom-ref in the document.
refs = set()
def collect(node):
    if isinstance(node, dict):
        if "bom-ref" in node:
            assert node["bom-ref"] not in refs, "duplicate bom-ref " + node["bom-ref"]
            refs.add(node["bom-ref"])
        for v in node.values(): collect(v)
    elif isinstance(node, list):
        for v in node: collect(v)
collect(bom)
for d in bom.get("dependencies", []):
    for r in [d["ref"]] + d.get("dependsOn", []):
        assert r in refs, "dangling dependency " + r
for d in bom["metadata"]["component"]["modelCard"]["modelParameters"].get("datasets", []):
    assert d["ref"] in refs, "dangling dataset " + d["ref"]
for v in bom.get("vulnerabilities", []):
    for a in v["affects"]:
        assert a["ref"] in refs, "dangling affects " + a["ref"]
print("peer ok" if not errors else "peer invalid")
)PY";

class Bom : public DigitsWorkspaceTest {
 protected:
  void SetUp() override {
    DigitsWorkspaceTest::SetUp();
    std::string spec = ReadFile(spec_).value();
    WriteFileAtomic(spec_, ReplaceOnce(spec, "epochs: 30", "epochs: 2")).IgnoreError();
    run_ = CitadelJson({"run", spec_.string(), "--json"});
    std::ofstream(tmp_ / "peer.py") << kPeerCheck;
  }

  // Writes the BOM of `ref` to a file, has the peer validate it, returns it.
  Json ValidBom(const std::string& ref) {
    const fs::path out = tmp_ / "bom.json";
    CliResult r = Citadel({"bom", ref, "--format", "cyclonedx", "--output", out.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto [rc, peer] = Shell("/usr/bin/python3 " + (tmp_ / "peer.py").string() + " " +
                            kCycloneDx.string() + " " + out.string());
    EXPECT_EQ(rc, 0) << peer;
    EXPECT_NE(peer.find("peer ok"), std::string::npos) << peer;
    return Json::parse(ReadFile(out).value());
  }

  // A CycloneDX property's value; empty when the node has none of that name.
  static std::string Property(const Json& node, const std::string& name) {
    if (!node.contains("properties")) return "";
    for (const Json& p : node["properties"]) {
      if (p["name"] == name) return p["value"];
    }
    return "";
  }

  Json run_;
};

TEST_F(Bom, TheModelsBomIsValidCycloneDxAndSaysWhatTheCatalogSays) {
  const std::string model = run_["steps"][1]["outputs"]["model"];
  const std::string train = run_["steps"][0]["outputs"]["train"];
  Json bom = ValidBom("digits@candidate");
  EXPECT_EQ(bom["specVersion"], "1.6");
  const Json& m = bom["metadata"]["component"];
  EXPECT_EQ(m["type"], "machine-learning-model");
  EXPECT_EQ(m["bom-ref"], model);
  EXPECT_EQ(m["version"], "digits:1");
  EXPECT_EQ("sha256:" + m["hashes"][0]["content"].get<std::string>(), model);
  // Its files, each with the digest the artifact records.
  Json shown = CitadelJson({"artifacts", "show", model, "--json"});
  ASSERT_EQ(m["components"].size(), shown["files"].size());
  for (size_t i = 0; i < shown["files"].size(); ++i) {
    EXPECT_EQ(m["components"][i]["name"], shown["files"][i]["path"]);
    EXPECT_EQ(m["components"][i]["hashes"][0]["content"], shown["files"][i]["sha256"]);
  }
  // The model card: task, architecture, the training data by reference,
  // the evaluation's metrics and the training parameters.
  const Json& card = m["modelCard"];
  EXPECT_EQ(card["modelParameters"]["task"], "classification");
  EXPECT_EQ(card["modelParameters"]["architectureFamily"], "multilayer perceptron");
  ASSERT_EQ(card["modelParameters"]["datasets"].size(), 1u);
  EXPECT_EQ(card["modelParameters"]["datasets"][0]["ref"], train);
  const Json& evaluated = run_["steps"][2]["metrics"];
  int matched = 0;
  for (const Json& metric : card["quantitativeAnalysis"]["performanceMetrics"]) {
    if (metric["type"] == "accuracy") {
      EXPECT_NEAR(std::stod(metric["value"].get<std::string>()),
                  evaluated["accuracy"].get<double>(), 1e-5);
      ++matched;
    }
  }
  EXPECT_EQ(matched, 1);
  EXPECT_EQ(Property(card, "citadel:training:epochs"), "2");

  // The data components: the train split and, upstream, the source CSV.
  std::map<std::string, Json> data;
  for (const Json& c : bom["components"]) {
    if (c["type"] == "data") data[c["bom-ref"]] = c;
  }
  ASSERT_TRUE(data.count(train));
  bool has_source = false;
  for (const auto& [ref, c] : data) has_source |= Property(c, "citadel:kind") == "source";
  EXPECT_TRUE(has_source);
  bool model_depends_on_train = false;
  for (const Json& d : bom["dependencies"]) {
    if (d["ref"] != model) continue;
    for (const Json& r : d["dependsOn"]) model_depends_on_train |= r == train;
  }
  EXPECT_TRUE(model_depends_on_train);

  // The software: libtorch at the version the training run recorded.
  Json train_run = CitadelJson({"runs", "show", run_["steps"][1]["run_id"], "--json"});
  bool torch_listed = false;
  for (const Json& c : bom["components"]) {
    if (c["name"] == "libtorch") {
      torch_listed = true;
      EXPECT_EQ(c["version"], train_run["env"]["libtorch"]);
    }
  }
  EXPECT_TRUE(torch_listed);
  // Verdicts: unsigned, provenance verified, scan clean.
  EXPECT_EQ(Property(m, "citadel:signature"), "unsigned");
  EXPECT_EQ(Property(m, "citadel:provenance").rfind("verified", 0), 0u)
      << Property(m, "citadel:provenance");
  EXPECT_EQ(Property(m, "citadel:scan").rfind("clean", 0), 0u) << Property(m, "citadel:scan");
  EXPECT_FALSE(bom.contains("vulnerabilities"));

  // Signed, the BOM says so.
  ASSERT_EQ(Citadel({"sign", model}).exit_code, 0);
  Json signed_bom = ValidBom(model);
  EXPECT_EQ(Property(signed_bom["metadata"]["component"], "citadel:signature").rfind("verified", 0),
            0u);
}

TEST_F(Bom, AnImportedMaliciousFilesFindingsAreVulnerabilities) {
  const fs::path evil = "tests/fixtures/pickles/reduce_os_system.pt";
  ASSERT_TRUE(fs::exists(evil));
  Json imported =
      CitadelJson({"import", evil.string(), "--name", "evil", "--quarantine", "--json"});
  Json bom = ValidBom(imported["artifact"]);
  ASSERT_TRUE(bom.contains("vulnerabilities"));
  bool critical = false;
  for (const Json& v : bom["vulnerabilities"]) {
    critical |= v["ratings"][0]["severity"] == "critical";
  }
  EXPECT_TRUE(critical) << bom["vulnerabilities"].dump(2);
}

TEST_F(Bom, WhatIsNotAModelIsAClearError) {
  CliResult dataset = Citadel({"bom", run_["steps"][0]["outputs"]["train"]});
  EXPECT_EQ(dataset.exit_code, 1);
  EXPECT_NE(dataset.err.find("describes a model"), std::string::npos) << dataset.err;
  CliResult unknown = Citadel({"bom", "no-such-model"});
  EXPECT_EQ(unknown.exit_code, 1);
  CliResult format = Citadel({"bom", "digits@candidate", "--format", "spdx"});
  EXPECT_EQ(format.exit_code, 2);
  // A failed write leaves no half file behind.
  CliResult unwritable =
      Citadel({"bom", "digits@candidate", "--output", (tmp_ / "missing" / "bom.json").string()});
  EXPECT_EQ(unwritable.exit_code, 1);
  EXPECT_FALSE(fs::exists(tmp_ / "missing" / "bom.json"));
}

}  // namespace
}  // namespace citadel::testing
