// The data engine through the citadel binary: the messy-customer example end
// to end (cleaning, validation gates, PII policy, column lineage, profiles)
// and its failure paths.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "base/system/files.h"
#include "cli_runner.h"

namespace citadel::testing {
namespace {

namespace fs = std::filesystem;

class CustomersPipeline : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    ASSERT_EQ(Citadel({"init"}).exit_code, 0);
    spec_ = CopyExample("customers");
    original_ = *ReadFile(spec_);
  }
  void Edit(const std::string& from, const std::string& to) {
    ASSERT_TRUE(WriteFileAtomic(spec_, ReplaceOnce(original_, from, to)).ok());
  }
  fs::path spec_;
  std::string original_;
};

TEST_F(CustomersPipeline, PreparesTrainsAndRecordsColumnLineageAndProfile) {
  Json run = CitadelJson({"run", spec_.string(), "--json"});
  ASSERT_EQ(run["steps"].size(), 3u);
  const Json& prepare = run["steps"][0];
  EXPECT_EQ(prepare["status"], "succeeded");
  EXPECT_TRUE(prepare["outputs"].contains("profile"));
  EXPECT_GT(prepare["metrics"]["rows_removed"].get<double>(), 0);
  EXPECT_GT(prepare["metrics"]["pii_cells"].get<double>(), 0);
  // Above the majority-class rate (about 0.64): the features carry signal.
  EXPECT_GT(run["steps"][2]["metrics"]["accuracy"].get<double>(), 0.65);

  // Column lineage from the model back to the input columns.
  std::string model = run["steps"][1]["outputs"]["model"];
  Json lineage = CitadelJson({"lineage", model, "--columns", "--json"});
  EXPECT_EQ(lineage["dataset"]["id"], prepare["outputs"]["train"]);
  std::map<std::string, Json> inputs;
  for (const Json& f : lineage["features"]) inputs[f["name"]] = f["inputs"];
  EXPECT_EQ(inputs["tenure_days"], Json::array({"signup_date"}));
  EXPECT_EQ(inputs["segment=a"], Json::array({"segment"}));
  EXPECT_EQ(inputs["age_missing"], Json::array({"age"}));
  for (const auto& [name, from] : inputs) {
    for (const Json& column : from) {
      for (const char* pii : {"email", "phone", "card_number", "iban", "ssn", "ip_address"}) {
        EXPECT_NE(column, pii) << name << " derives from PII column " << pii;
      }
    }
  }
  bool from_csv = false;
  for (const Json& s : lineage["sources"]) from_csv |= s["name"] == "customers.csv.gz";
  EXPECT_TRUE(from_csv) << lineage.dump();
  CliResult tree = Citadel({"lineage", "customers/prepare.train", "--columns"});
  EXPECT_EQ(tree.exit_code, 0) << tree.err;
  EXPECT_NE(tree.out.find("tenure_days"), std::string::npos) << tree.out;

  // The stored profile, by the dataset and by the report's name.
  Json profile = CitadelJson({"data", "profile", prepare["outputs"]["train"], "--json"});
  Json email;
  for (const Json& c : profile["columns"]) {
    if (c["name"] == "email") email = c;
  }
  ASSERT_TRUE(email.is_object()) << profile.dump();
  EXPECT_GT(email["pii"]["email"].get<int64_t>(), 0);
  CliResult text = Citadel({"data", "profile", "customers/prepare.profile"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("income"), std::string::npos) << text.out;
}

TEST_F(CustomersPipeline, PiiDenyFailsTheStepWhenPiiColumnsAreKept) {
  Edit("      - { op: drop, columns: pii }\n",
       "      - { op: drop, columns: [phone, card_number, iban, ssn, ip_address] }\n"
       "      - { op: hash_features, columns: [email], n_features: 4, output: mail }\n");
  CliResult r = Citadel({"run", spec_.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("pii: deny"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'email'"), std::string::npos) << r.err;
  Json datasets = CitadelJson({"artifacts", "ls", "--kind", "dataset", "--json"});
  EXPECT_EQ(datasets.size(), 0u) << "a refused step stores no dataset";
}

TEST_F(CustomersPipeline, ViolatedExpectationNamesRowsAndLeavesAReport) {
  Edit("{ range: { column: age, min: 18, max: 110 } }",
       "{ range: { column: age, min: 18, max: 60 } }");
  CliResult r = Citadel({"run", spec_.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("customers.csv.gz:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'age'"), std::string::npos) << r.err;
  size_t at = r.err.find("reports: ");
  ASSERT_NE(at, std::string::npos) << r.err;
  std::string dir = r.err.substr(at + 9, r.err.find('\n', at) - at - 9);
  auto report = ReadFile(fs::path(dir) / "validation.json");
  ASSERT_TRUE(report.ok()) << dir;
  Json j = Json::parse(*report);
  EXPECT_EQ(j["failed"], true);
}

TEST_F(CustomersPipeline, ProfileOfALocalFileNeedsNoWorkspace) {
  fs::path csv = tmp_ / "small.csv";
  ASSERT_TRUE(WriteFileAtomic(csv, "a,b\n1,x@example.com\n2,\n3,y\n").ok());
  Json profile = CitadelJson({"data", "profile", csv.string(), "--json"}, tmp_ / "nowhere");
  ASSERT_EQ(profile["columns"].size(), 2u);
  EXPECT_EQ(profile["rows"], 3);
  EXPECT_EQ(profile["columns"][1]["missing"], 1);
  CliResult bad = Citadel({"data", "profile", (tmp_ / "absent.csv").string()}, tmp_ / "nowhere");
  EXPECT_EQ(bad.exit_code, 1);
}

// Regression: a step with pii: allow has no PII report, and recording its
// metrics once read that missing report.
TEST_F(CliTest, ProcessStepWithPiiAllowRecordsNoPiiMetric) {
  ASSERT_EQ(Citadel({"init"}).exit_code, 0);
  ASSERT_TRUE(WriteFileAtomic(tmp_ / "d.csv", "a,y\n1,p\n2,q\n3,p\n").ok());
  ASSERT_TRUE(WriteFileAtomic(tmp_ / "p.yaml",
                              "pipeline: p\nsteps:\n  - name: prepare\n    kind: process\n"
                              "    input: { csv: d.csv, label: y }\n    pii: allow\n")
                  .ok());
  Json run = CitadelJson({"run", (tmp_ / "p.yaml").string(), "--json"});
  ASSERT_EQ(run["steps"].size(), 1u);
  EXPECT_EQ(run["steps"][0]["status"], "succeeded");
  EXPECT_FALSE(run["steps"][0]["metrics"].contains("pii_cells"));
  EXPECT_EQ(run["steps"][0]["metrics"]["data_rows"], 3);
}

// The IDX path on the real Fashion-MNIST files (installed by
// scripts/bootstrap.sh): both process steps of examples/fashion.
TEST_F(CliTest, FashionMnistIdxFilesBecomeScaledPixelDatasets) {
  ASSERT_TRUE(fs::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"))
      << "run scripts/bootstrap.sh: it installs dataset-fashion-mnist";
  ASSERT_EQ(Citadel({"init"}).exit_code, 0);
  fs::path spec = CopyExample("fashion");
  std::string text = *ReadFile(spec);
  text = text.substr(0, text.find("  - name: train\n"));  // the process steps only
  ASSERT_TRUE(WriteFileAtomic(spec, text).ok());
  Json run = CitadelJson({"run", spec.string(), "--json"});
  ASSERT_EQ(run["steps"].size(), 2u);
  EXPECT_EQ(run["steps"][0]["metrics"]["data_rows"], 60000);
  EXPECT_EQ(run["steps"][1]["metrics"]["data_rows"], 10000);
  EXPECT_EQ(run["steps"][1]["metrics"]["features"], 784);
  Json lineage =
      CitadelJson({"lineage", run["steps"][1]["outputs"]["data"], "--columns", "--json"});
  EXPECT_EQ(lineage["features"][300]["inputs"], Json::array({"pixel_300"}));
  EXPECT_EQ(lineage["sources"].size(), 2u) << "images and labels files";
}

}  // namespace
}  // namespace citadel::testing
