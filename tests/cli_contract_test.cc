// The CLI contract of ARCHITECTURE.md §7: exit codes, JSON shapes, messages.
#include <gtest/gtest.h>

#include "base/system/files.h"
#include "cli_runner.h"

namespace citadel::testing {
namespace {

namespace fs = std::filesystem;

class CliContract : public CliTest {};

TEST_F(CliContract, UsageErrorsExitTwo) {
  EXPECT_EQ(Citadel({}).exit_code, 2);
  EXPECT_EQ(Citadel({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(Citadel({"runs", "show"}).exit_code, 2);
  EXPECT_EQ(Citadel({"run", "/no/such/spec.yaml"}).exit_code, 2);
  EXPECT_EQ(Citadel({"lineage", "x", "--up", "--down"}).exit_code, 2);
  CliResult help = Citadel({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("lineage"), std::string::npos);
}

TEST_F(CliContract, CommandsOutsideAWorkspaceExplainHowToCreateOne) {
  CliResult r = Citadel({"runs", "ls"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("citadel init"), std::string::npos) << r.err;
}

TEST_F(CliContract, InitIsIdempotent) {
  CliResult first = Citadel({"init"});
  EXPECT_EQ(first.exit_code, 0);
  EXPECT_NE(first.out.find("Created"), std::string::npos);
  CliResult second = Citadel({"init"});
  EXPECT_EQ(second.exit_code, 0);
  EXPECT_NE(second.out.find("existing"), std::string::npos);
  EXPECT_TRUE(fs::exists(home_ / "catalog.db"));
  EXPECT_EQ(fs::status(home_ / "keys").permissions() & fs::perms::all, fs::perms::owner_all);
}

TEST_F(CliContract, UnknownReferencesFailWithOneAndAHint) {
  ASSERT_EQ(Citadel({"init"}).exit_code, 0);
  CliResult r = Citadel({"artifacts", "show", "nosuchmodel"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("NotFound"), std::string::npos);
  EXPECT_NE(r.err.find("citadel models ls"), std::string::npos) << r.err;
  EXPECT_EQ(Citadel({"runs", "show", "0000"}).exit_code, 1);
  EXPECT_EQ(Citadel({"lineage", "sha256:abcd"}).exit_code, 1);
}

TEST_F(CliContract, EmptyWorkspaceListsAreEmptyJson) {
  ASSERT_EQ(Citadel({"init"}).exit_code, 0);
  EXPECT_EQ(CitadelJson({"runs", "ls", "--json"}), Json::array());
  EXPECT_EQ(CitadelJson({"artifacts", "ls", "--json"}), Json::array());
  EXPECT_EQ(CitadelJson({"models", "ls", "--json"}), Json::array());
  EXPECT_EQ(CitadelJson({"store", "verify", "--json"})["ok"], true);
}

struct BadSpecCase {
  std::string name;
  std::string from;
  std::string to;
  std::string fragment;
};

TEST_F(CliContract, BadSpecsFailBeforeAnyStepRunsWithFileAndLine) {
  ASSERT_EQ(Citadel({"init"}).exit_code, 0);
  fs::path spec = CopyDigitsExample();
  std::string original = *ReadFile(spec);
  std::vector<BadSpecCase> cases = {
      {"typo in a field", "    epochs: 30\n", "    epoch: 30\n", "unknown field 'epoch'"},
      {"bad value", "    batch_size: 64\n", "    batch_size: -1\n",
       "batch_size: expected an integer"},
      {"unknown architecture", "arch: mlp", "arch: resnet", "unknown architecture 'resnet'"},
      {"reference to a later step", "    dataset: prepare.train\n",
       "    dataset: predict.predictions\n", "comes later"},
      {"missing csv", "csv: data/digits.csv.gz", "csv: data/missing.csv", "missing.csv"},
      {"unknown transform", "op: drop_duplicates", "op: shuffle_columns", "shuffle_columns"},
  };
  for (const auto& c : cases) {
    ASSERT_TRUE(WriteFileAtomic(spec, ReplaceOnce(original, c.from, c.to)).ok());
    CliResult r = Citadel({"run", spec.string()});
    EXPECT_EQ(r.exit_code, 1) << c.name;
    EXPECT_NE(r.err.find(c.fragment), std::string::npos) << c.name << ":\n" << r.err;
    EXPECT_NE(r.err.find("pipeline.yaml:"), std::string::npos) << c.name << ":\n" << r.err;
  }
  EXPECT_EQ(CitadelJson({"runs", "ls", "--json"}).size(), 0u) << "nothing ran";
}

TEST_F(CliContract, RegistryCommandsManageVersionsAndAliases) {
  ASSERT_EQ(Citadel({"init"}).exit_code, 0);
  fs::path spec = CopyDigitsExample();
  Json outcome = CitadelJson({"run", spec.string(), "--json"});
  std::string run;
  for (const Json& s : outcome["steps"]) {
    if (s["name"] == "train") run = s["run_id"];
  }
  CliResult reg =
      Citadel({"models", "register", "prod-digits", run + ":model", "--alias", "production"});
  EXPECT_EQ(reg.exit_code, 0) << reg.err;
  Json shown = CitadelJson({"models", "show", "prod-digits", "--json"});
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_EQ(shown[0]["aliases"], Json::array({"production"}));
  EXPECT_EQ(Citadel({"models", "alias", "prod-digits", "canary", "1"}).exit_code, 0);
  EXPECT_EQ(Citadel({"models", "alias", "prod-digits", "canary", "9"}).exit_code, 1);
  EXPECT_EQ(Citadel({"models", "show", "nope"}).exit_code, 1);
  // A dataset cannot become a model version.
  std::string dataset;
  for (const Json& s : outcome["steps"]) {
    if (s["name"] == "prepare") dataset = s["outputs"]["train"];
  }
  EXPECT_EQ(Citadel({"models", "register", "bad", dataset}).exit_code, 1);
}

TEST_F(CliContract, DataGenerateIsSeededAndValidatesItsOptions) {
  fs::path a = tmp_ / "a.csv", b = tmp_ / "b.csv", truth = tmp_ / "truth.json";
  CliResult first = Citadel({"data", "generate", "--rows", "200", "--seed", "3", "--out",
                             a.string(), "--truth", truth.string()});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("200 rows"), std::string::npos) << first.out;
  ASSERT_EQ(
      Citadel({"data", "generate", "--rows", "200", "--seed", "3", "--out", b.string()}).exit_code,
      0);
  EXPECT_EQ(*ReadFile(a), *ReadFile(b)) << "same seed, same bytes";
  Json planted = Json::parse(*ReadFile(truth));
  ASSERT_TRUE(planted.is_array());
  EXPECT_FALSE(planted.empty());
  for (const Json& p : planted) {
    EXPECT_TRUE(p.contains("row") && p.contains("column") && p.contains("kind") &&
                p.contains("value"));
  }

  EXPECT_EQ(Citadel({"data", "generate", "--rows", "0", "--out", a.string()}).exit_code, 2);
  EXPECT_EQ(Citadel({"data", "generate", "--missing-rate", "1.5", "--out", a.string()}).exit_code,
            2);
  EXPECT_EQ(Citadel({"data", "generate", "--rows", "5"}).exit_code, 2) << "--out is required";
  fs::path nowhere = tmp_ / "missing-dir" / "x.csv";
  CliResult bad = Citadel({"data", "generate", "--rows", "5", "--out", nowhere.string()});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("missing-dir"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(nowhere));
}

}  // namespace
}  // namespace citadel::testing
