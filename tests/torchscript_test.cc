// A TorchScript module exported from Python (tests/fixtures/torchscript)
// fine-tuned by `citadel run` on the digits example: the module is a
// recorded input of the train run, travels inside the model artifact, and
// the model is evaluated and predicted with like any other.
#include <gtest/gtest.h>

#include <fstream>

#include "base/system/files.h"
#include "cli_runner.h"

namespace citadel::testing {
namespace {

class TorchScriptPipeline : public DigitsWorkspaceTest {
 protected:
  // Points the train step at `module` (copied from the fixtures when
  // `fixture` is given) and returns the pipeline file.
  std::filesystem::path UseModule(const std::string& module, const std::string& fixture) {
    if (!fixture.empty()) {
      std::filesystem::copy_file("tests/fixtures/torchscript/" + fixture,
                                 spec_.parent_path() / module);
    }
    auto text = ReadFile(spec_);
    EXPECT_TRUE(text.ok());
    std::ofstream(spec_) << ReplaceOnce(*text, "model: { arch: mlp, hidden: [128, 64] }",
                                        "model: { arch: torchscript, module: " + module + " }");
    return spec_;
  }
};

TEST_F(TorchScriptPipeline, FineTunesAnExportedModuleAndRecordsIt) {
  Json run = CitadelJson({"run", UseModule("digits_mlp.pt", "digits_mlp.pt").string(), "--json"});
  ASSERT_EQ(run["steps"].size(), 5u) << run.dump();
  const Json& train = run["steps"][1];
  EXPECT_EQ(train["status"], "succeeded");
  EXPECT_GE(run["steps"][2]["metrics"]["accuracy"].get<double>(), 0.9) << run.dump();

  // The module file is an input of the train run…
  Json train_run = CitadelJson({"runs", "show", train["run_id"], "--json"});
  std::string module_input;
  for (const Json& input : train_run["inputs"]) {
    if (input["role"] == "module") module_input = input["artifact"];
  }
  ASSERT_FALSE(module_input.empty()) << train_run["inputs"].dump();
  Json source = CitadelJson({"artifacts", "show", module_input, "--json"});
  EXPECT_EQ(source["kind"], "source");
  // …and the model artifact carries it, byte for byte, beside its weights.
  Json model = CitadelJson({"artifacts", "show", train["outputs"]["model"], "--json"});
  EXPECT_EQ(model["metadata"]["architecture"]["arch"], "torchscript");
  std::string module_sha;
  for (const Json& f : model["files"]) {
    if (f["path"] == "module.pt") module_sha = f["sha256"];
  }
  EXPECT_EQ(module_sha, source["files"][0]["sha256"]) << model.dump();
  EXPECT_EQ(model["metadata"]["architecture"]["module_sha256"], module_sha);

  // The same module and data give the same model again (cached or not).
  Json again = CitadelJson({"run", spec_.string(), "--force", "--json"});
  EXPECT_EQ(again["steps"][1]["outputs"]["model"], train["outputs"]["model"]);
}

TEST_F(TorchScriptPipeline, AMissingOrBrokenModuleFailsNamingIt) {
  CliResult missing = Citadel({"run", UseModule("absent.pt", "").string()});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("model/module"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("absent.pt"), std::string::npos) << missing.err;

  std::ofstream(spec_.parent_path() / "absent.pt") << "not a TorchScript archive";
  CliResult broken = Citadel({"run", spec_.string()});
  EXPECT_NE(broken.exit_code, 0);
  EXPECT_NE(broken.err.find("not a loadable TorchScript module"), std::string::npos) << broken.err;
}

TEST_F(TorchScriptPipeline, AModuleCarryingAMaliciousPickleIsRefusedBeforeLoading) {
  std::filesystem::copy_file("tests/fixtures/pickles/torchscript_with_payload.pt",
                             spec_.parent_path() / "payload.pt");
  CliResult r = Citadel({"run", UseModule("payload.pt", "").string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("model/module payload.pt: the model scanner refuses it"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("extra/notes.pkl: calls posix.system"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace citadel::testing
