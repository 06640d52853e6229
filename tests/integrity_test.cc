// Damage to the blob store is detected and named, never silently used.
#include <gtest/gtest.h>

#include <fstream>

#include "base/system/files.h"
#include "cli_runner.h"

namespace citadel::testing {
namespace {

namespace fs = std::filesystem;

class StoreIntegrity : public DigitsWorkspaceTest {
 protected:
  void SetUp() override {
    DigitsWorkspaceTest::SetUp();
    Json outcome = CitadelJson({"run", spec_.string(), "--json"});
    for (const Json& s : outcome["steps"]) {
      if (s["name"] == "train") model_ = s["outputs"]["model"];
    }
    ASSERT_FALSE(model_.empty());
    Json artifact = CitadelJson({"artifacts", "show", model_, "--json"});
    for (const Json& f : artifact["files"]) {
      if (f["path"] == "model.safetensors") weights_blob_ = f["sha256"];
    }
    ASSERT_EQ(weights_blob_.size(), 64u);
  }

  fs::path BlobPath(const std::string& hex) {
    return home_ / "blobs" / "sha256" / hex.substr(0, 2) / hex;
  }

  void FlipOneByte(const fs::path& p, long offset) {
    fs::permissions(p, fs::perms::owner_write, fs::perm_options::add);
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(offset);
    char c = 0;
    f.get(c);
    f.seekp(offset);
    f.put(static_cast<char>(c ^ 0x20));
  }

  void ExpectDamageNamed(const std::string& problem) {
    // Reading the artifact fails with DataLoss (corrupt) or NotFound (deleted),
    // naming the artifact; nothing is exported.
    fs::path out = tmp_ / "export";
    CliResult exp = Citadel({"artifacts", "export", model_, out.string()});
    EXPECT_EQ(exp.exit_code, 1);
    EXPECT_NE(exp.err.find(problem == "corrupt" ? "DataLoss" : "NotFound"), std::string::npos)
        << exp.err;
    EXPECT_NE(exp.err.find(model_), std::string::npos) << exp.err;
    EXPECT_NE(exp.err.find("model.safetensors"), std::string::npos) << exp.err;
    EXPECT_FALSE(fs::exists(out));

    CliResult verify = Citadel({"store", "verify"});
    EXPECT_EQ(verify.exit_code, 1);
    EXPECT_NE(verify.out.find(weights_blob_), std::string::npos) << verify.out;
    EXPECT_NE(verify.out.find(model_), std::string::npos) << verify.out;

    CliResult json = Citadel({"store", "verify", "--json"});
    EXPECT_EQ(json.exit_code, 1);
    Json report = Json::parse(json.out);
    EXPECT_EQ(report["ok"], false);
    ASSERT_EQ(report["problems"].size(), 1u);
    EXPECT_EQ(report["problems"][0]["blob"], "sha256:" + weights_blob_);
    EXPECT_EQ(report["problems"][0]["problem"], problem);
    EXPECT_EQ(report["problems"][0]["used_by"][0]["artifact"], model_);
    EXPECT_EQ(report["problems"][0]["used_by"][0]["path"], "model.safetensors");

    // A step that must load the model refuses to run on it.
    CliResult rerun = Citadel({"run", spec_.string(), "--force"});
    EXPECT_EQ(rerun.exit_code, 0) << "--force retrains and rewrites the blob: " << rerun.err;
    EXPECT_EQ(Citadel({"store", "verify"}).exit_code, 0) << "re-running repaired the store";
  }

  std::string model_;
  std::string weights_blob_;
};

TEST_F(StoreIntegrity, HealthyStoreVerifies) {
  CliResult verify = Citadel({"store", "verify", "--json"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  Json report = Json::parse(verify.out);
  EXPECT_EQ(report["ok"], true);
  EXPECT_GT(report["blobs_checked"].get<int>(), 10);
}

TEST_F(StoreIntegrity, OneCorruptByteIsDataLossNamingTheArtifact) {
  FlipOneByte(BlobPath(weights_blob_), 200);
  ExpectDamageNamed("corrupt");
}

TEST_F(StoreIntegrity, DeletedBlobIsReportedMissing) {
  fs::remove(BlobPath(weights_blob_));
  ExpectDamageNamed("missing");
}

TEST_F(StoreIntegrity, EvaluatingACorruptModelFailsTheStepWithDataLoss) {
  FlipOneByte(BlobPath(weights_blob_), 100);
  // Change only the evaluate step so it re-executes and must read the model.
  std::string text = *ReadFile(spec_);
  std::string edited =
      ReplaceOnce(text, "  - name: evaluate\n    kind: evaluate\n    model: train.model\n",
                  "  - name: evaluate\n    kind: evaluate\n    model: \"train.model\" # edited\n");
  edited = ReplaceOnce(edited, "    dataset: prepare.test\n\n  - name: predict",
                       "    dataset: prepare.train\n\n  - name: predict");
  ASSERT_TRUE(WriteFileAtomic(spec_, edited).ok());
  CliResult r = Citadel({"run", spec_.string(), "--json"});
  EXPECT_EQ(r.exit_code, 1);
  Json outcome = Json::parse(r.out);
  for (const Json& s : outcome["steps"]) {
    if (s["name"] == "evaluate") {
      EXPECT_EQ(s["status"], "failed");
      EXPECT_NE(s["error"].get<std::string>().find("DataLoss"), std::string::npos) << s["error"];
      EXPECT_NE(s["error"].get<std::string>().find(model_), std::string::npos) << s["error"];
    }
    if (s["name"] == "predict" || s["name"] == "register") {
      EXPECT_EQ(s["status"], "skipped");
    }
  }
  Json runs = CitadelJson({"runs", "ls", "--json"});
  EXPECT_EQ(runs[0]["step"], "evaluate");
  EXPECT_EQ(runs[0]["status"], "failed");
}

}  // namespace
}  // namespace citadel::testing
