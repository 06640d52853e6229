// SLSA provenance of runs as a user meets it: `citadel provenance`, `citadel
// verify --chain`, and the trust policy's `provenance` check — on the real
// digits pipeline, with the attestations checked by a peer (Python's
// jsonschema against the Sigstore bundle schemas, and cryptography for the
// DSSE signature) and every kind of tampering detected and named.
#include <gtest/gtest.h>

#include <fstream>

#include "base/system/files.h"
#include "cli_runner.h"

namespace citadel::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kSchemas = "../shared/testdata/oms/spec-schemas";

// The peer check of one attestation bundle: the Sigstore bundle and DSSE
// envelope schemas, the DSSE signature with the workspace's public key, the
// in-toto Statement v1 / SLSA Provenance v1 fields we rely on, and the
// executable's digest against the file itself.
constexpr const char* kPeerCheck = R"PY(
import base64, hashlib, json, sys
import jsonschema
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
schemas, bundle_path, key_path, binary = sys.argv[1:5]
def load(name):
    return json.load(open(f"{schemas}/{name}.schema.json"))
store = {load(n)["$id"]: load(n) for n in ("bundle", "envelope")}
schema = load("bundle")
resolver = jsonschema.RefResolver.from_schema(schema, store=store)
bundle = json.load(open(bundle_path))
jsonschema.Draft202012Validator(schema, resolver=resolver).validate(bundle)
envelope = bundle["dsseEnvelope"]
payload = base64.b64decode(envelope["payload"])
kind = envelope["payloadType"].encode()
assert kind == b"application/vnd.in-toto+json"
pae = b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)
key = serialization.load_pem_public_key(open(key_path, "rb").read())
key.verify(base64.b64decode(envelope["signatures"][0]["sig"]), pae, ec.ECDSA(hashes.SHA256()))
st = json.loads(payload)
assert st["_type"] == "https://in-toto.io/Statement/v1"
assert st["predicateType"] == "https://slsa.dev/provenance/v1"
assert st["subject"] and all(len(s["digest"]["sha256"]) == 64 for s in st["subject"])
build = st["predicate"]["buildDefinition"]
assert build["buildType"] and isinstance(build["externalParameters"], dict)
details = st["predicate"]["runDetails"]
assert details["builder"]["id"]
meta = details["metadata"]
assert meta["invocationId"] and meta["startedOn"] <= meta["finishedOn"]
exe = [d for d in build["resolvedDependencies"] if d["name"] == "citadel"]
assert len(exe) == 1, exe
assert exe[0]["digest"]["sha256"] == hashlib.sha256(open(binary, "rb").read()).hexdigest()
print("peer ok")
)PY";

class Provenance : public DigitsWorkspaceTest {
 protected:
  void SetUp() override {
    DigitsWorkspaceTest::SetUp();
    // Fewer epochs: provenance does not depend on how well the model learns.
    std::string spec = ReadFile(spec_).value();
    WriteFileAtomic(spec_, ReplaceOnce(spec, "epochs: 30", "epochs: 2")).IgnoreError();
    Json run = CitadelJson({"run", spec_.string(), "--json"});
    for (const Json& s : run["steps"]) {
      steps_[s["name"].get<std::string>()] = s;
    }
    ASSERT_TRUE(steps_.count("train"));
    model_ = steps_["train"]["outputs"]["model"];
    dataset_ = steps_["prepare"]["outputs"]["train"];
  }

  // Runs SQL against the workspace's catalog with the sqlite3 shell: the
  // tampering an attacker with write access to the catalog could do.
  void Sql(const std::string& sql) {
    auto [rc, out] = Shell("sqlite3 " + (home_ / "catalog.db").string() + " \"" + sql + "\"");
    ASSERT_EQ(rc, 0) << out;
  }

  Json Chain(int expected_exit) {
    CliResult r = Citadel({"verify", "--chain", model_, "--json"});
    EXPECT_EQ(r.exit_code, expected_exit) << r.err;
    return Json::parse(r.out);
  }

  std::map<std::string, Json> steps_;
  std::string model_, dataset_;
};

TEST_F(Provenance, EveryRunIsAttestedAndAPeerValidatesTheSignedStatement) {
  Json st = CitadelJson({"provenance", model_, "--json"});
  EXPECT_EQ(st["predicateType"], "https://slsa.dev/provenance/v1");
  EXPECT_EQ(st["predicate"]["runDetails"]["metadata"]["invocationId"], steps_["train"]["run_id"]);
  // The step spec is the external parameters, exactly as the run recorded it.
  Json run = CitadelJson({"runs", "show", steps_["train"]["run_id"], "--json"});
  const Json& external = st["predicate"]["buildDefinition"]["externalParameters"];
  EXPECT_EQ(external["spec"], run["spec"]);
  EXPECT_EQ(external["step"], "train");
  bool model_listed = false;
  for (const Json& s : st["subject"]) {
    model_listed |= "sha256:" + s["digest"]["sha256"].get<std::string>() == model_;
  }
  EXPECT_TRUE(model_listed) << st["subject"].dump();
  bool dataset_listed = false;
  for (const Json& d : st["predicate"]["buildDefinition"]["resolvedDependencies"]) {
    if (d["name"] == "train") {
      dataset_listed = true;
      EXPECT_EQ("sha256:" + d["digest"]["sha256"].get<std::string>(), dataset_);
    }
  }
  EXPECT_TRUE(dataset_listed);

  // Each attesting step's bundle passes the peer check.
  std::ofstream(tmp_ / "peer.py") << kPeerCheck;
  for (const char* step : {"prepare", "train", "evaluate", "predict"}) {
    SCOPED_TRACE(step);
    CliResult bundle = Citadel({"provenance", steps_[step]["run_id"], "--bundle"});
    ASSERT_EQ(bundle.exit_code, 0) << bundle.err;
    std::ofstream(tmp_ / "bundle.json") << bundle.out;
    auto [rc, out] =
        Shell("/usr/bin/python3 " + (tmp_ / "peer.py").string() + " " + kSchemas.string() + " " +
              (tmp_ / "bundle.json").string() + " " +
              (home_ / "keys" / "signing-key.pub.pem").string() + " " + CITADEL_BINARY);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("peer ok"), std::string::npos) << out;
  }

  // What has no provenance of its own says why.
  const std::string source =
      Json::parse(Citadel({"runs", "show", steps_["prepare"]["run_id"], "--json"})
                      .out)["inputs"][0]["artifact"];
  CliResult src = Citadel({"provenance", source});
  EXPECT_EQ(src.exit_code, 1);
  EXPECT_NE(src.err.find("read from outside"), std::string::npos) << src.err;
  Json again = CitadelJson({"run", spec_.string(), "--json"});
  CliResult cached = Citadel({"provenance", again["steps"][1]["run_id"]});
  EXPECT_EQ(cached.exit_code, 1);
  EXPECT_NE(cached.err.find("reused the outputs of run"), std::string::npos) << cached.err;
}

TEST_F(Provenance, TheChainVerifiesFromModelBackToTheSourceFile) {
  Json chain = Chain(0);
  EXPECT_EQ(chain["verified"], true) << chain.dump(2);
  const Json& links = chain["links"];
  ASSERT_EQ(links.size(), 3u) << links.dump(2);
  EXPECT_EQ(links[0]["artifact"], model_);
  EXPECT_EQ(links[0]["run"], steps_["train"]["run_id"]);
  EXPECT_EQ(links[1]["artifact"], dataset_);
  EXPECT_EQ(links[1]["role"], "train");
  EXPECT_EQ(links[1]["run"], steps_["prepare"]["run_id"]);
  EXPECT_EQ(links[2]["kind"], "source");
  EXPECT_EQ(links[2]["depth"], 2);
  for (const Json& l : links) EXPECT_EQ(l["ok"], true);

  CliResult text = Citadel({"verify", "--chain", model_});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("verified the provenance chain"), std::string::npos) << text.out;
}

TEST_F(Provenance, ADamagedDatasetBlobBreaksTheChainAtTheDataset) {
  Json files = CitadelJson({"artifacts", "show", dataset_, "--json"})["files"];
  ASSERT_FALSE(files.empty());
  const std::string blob = files[0]["sha256"];
  const fs::path path = home_ / "blobs" / "sha256" / blob.substr(0, 2) / blob;
  ASSERT_TRUE(fs::exists(path)) << path;
  fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10);
    f.put('\x01');
  }
  Json chain = Chain(1);
  EXPECT_EQ(chain["verified"], false);
  const Json& broken = chain["links"].back();
  EXPECT_EQ(broken["artifact"], dataset_);
  EXPECT_EQ(broken["ok"], false);
  EXPECT_NE(chain["error"].get<std::string>().find("broken at dataset"), std::string::npos)
      << chain["error"];
}

TEST_F(Provenance, AnAlteredAttestationIsRefusedAndNamed) {
  // Re-encode the prepare run's statement with another dataset digest: the
  // signature no longer covers the payload.
  const std::string run = steps_["prepare"]["run_id"];
  CliResult bundle = Citadel({"provenance", run, "--bundle"});
  ASSERT_EQ(bundle.exit_code, 0);
  std::ofstream(tmp_ / "forge.py") << R"PY(
import base64, json, sqlite3, sys
db, run = sys.argv[1:3]
c = sqlite3.connect(db)
b = json.loads(c.execute("SELECT bundle FROM attestation WHERE run_id=?", (run,)).fetchone()[0])
st = json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))
st["subject"][0]["digest"]["sha256"] = "0" * 64
b["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(st).encode()).decode()
c.execute("UPDATE attestation SET bundle=? WHERE run_id=?", (json.dumps(b), run))
c.commit()
)PY";
  auto [rc, out] = Shell("/usr/bin/python3 " + (tmp_ / "forge.py").string() + " " +
                         (home_ / "catalog.db").string() + " " + run);
  ASSERT_EQ(rc, 0) << out;
  Json chain = Chain(1);
  const std::string error = chain["error"];
  EXPECT_NE(error.find("broken at dataset " + dataset_), std::string::npos) << error;
  EXPECT_NE(error.find("does not verify"), std::string::npos) << error;
  EXPECT_NE(error.find(run), std::string::npos) << error;
}

TEST_F(Provenance, AMissingAttestationOrRewrittenLineageIsNamed) {
  const std::string train = steps_["train"]["run_id"];
  // Lineage rewritten in the catalog: the train run "read" the test split.
  const std::string test = steps_["prepare"]["outputs"]["test"];
  Sql("UPDATE run_input SET artifact_id='" + test + "' WHERE run_id='" + train +
      "' AND role='train'");
  Json rewritten = Chain(1);
  EXPECT_NE(rewritten["error"].get<std::string>().find("differ from its signed provenance"),
            std::string::npos)
      << rewritten["error"];

  Sql("DELETE FROM attestation WHERE run_id='" + train + "'");
  Json missing = Chain(1);
  const std::string error = missing["error"];
  EXPECT_NE(error.find("broken at model " + model_), std::string::npos) << error;
  EXPECT_NE(error.find("has no provenance attestation"), std::string::npos) << error;
}

TEST_F(Provenance, AStoredBundleThatIsNotJsonIsReportedNotACrash) {
  const std::string train = steps_["train"]["run_id"];
  Sql("UPDATE attestation SET bundle='not json' WHERE run_id='" + train + "'");
  CliResult raw = Citadel({"provenance", train, "--bundle"});
  EXPECT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_NE(raw.out.find("not json"), std::string::npos) << raw.out;
  CliResult checked = Citadel({"provenance", train});
  EXPECT_EQ(checked.exit_code, 1);
  EXPECT_NE(checked.err.find("is not JSON"), std::string::npos) << checked.err;
  Json chain = Chain(1);
  EXPECT_NE(chain["error"].get<std::string>().find("broken at model"), std::string::npos)
      << chain["error"];
}

TEST_F(Provenance, AttestationsVerifyOnlyWithATrustedKey) {
  // The workspace key is replaced: the old attestations no longer verify
  // with it, and do with the old public key given explicitly.
  const fs::path old_pub = tmp_ / "old.pub.pem";
  fs::copy_file(home_ / "keys" / "signing-key.pub.pem", old_pub);
  ASSERT_EQ(Citadel({"keys", "generate", "--force"}).exit_code, 0);
  Json chain = Chain(1);
  EXPECT_NE(chain["error"].get<std::string>().find("signed by another key"), std::string::npos)
      << chain["error"];
  CliResult with_old = Citadel({"verify", "--chain", model_, "--key", old_pub.string()});
  EXPECT_EQ(with_old.exit_code, 0) << with_old.err;
  CliResult bad_usage = Citadel({"verify", "--chain", model_, "--signature", "x.sig"});
  EXPECT_EQ(bad_usage.exit_code, 1);
  EXPECT_NE(bad_usage.err.find("--chain verifies the attestations"), std::string::npos);
}

TEST_F(Provenance, ThePolicyRequiresTheChainAndSignedTrainingData) {
  std::ofstream(home_ / "policy.yaml") << "require:\n"
                                          "  model: [provenance]\n"
                                          "  source: [signature]\n"
                                          "trusted_keys: [keys/signing-key.pub.pem]\n";
  // The source CSV is not signed: evaluate and predict refuse the model.
  CliResult refused = Citadel({"run", spec_.string(), "--force", "--json"});
  EXPECT_EQ(refused.exit_code, 1);
  bool evaluated = false;
  const Json outcome = Json::parse(refused.out);
  for (const Json& s : outcome["steps"]) {
    if (s["name"].get<std::string>() != "evaluate") continue;
    evaluated = true;
    const std::string error = s["error"];
    EXPECT_NE(error.find("check 'provenance' failed"), std::string::npos) << error;
    EXPECT_NE(error.find("source"), std::string::npos) << error;
    EXPECT_NE(error.find("check 'signature' failed"), std::string::npos) << error;
  }
  EXPECT_TRUE(evaluated) << refused.out;

  // Sign the training data: the chain holds, the model is used.
  Json chain = Chain(0);
  const std::string source = chain["links"].back()["artifact"];
  ASSERT_EQ(Citadel({"sign", source}).exit_code, 0);
  CliResult accepted = Citadel({"run", spec_.string(), "--json"});
  EXPECT_EQ(accepted.exit_code, 0) << accepted.err;
  Json signed_chain = Chain(0);
  EXPECT_FALSE(signed_chain["links"].back()["signed_by"].empty());

  // The attestation of the training run removed: the model is refused again.
  Sql("DELETE FROM attestation WHERE run_id='" + steps_["train"]["run_id"].get<std::string>() +
      "'");
  CliResult tampered = Citadel({"run", spec_.string(), "--force", "--json"});
  EXPECT_EQ(tampered.exit_code, 1);
}

TEST_F(Provenance, AnImportIsAttestedWithWhereItCameFrom) {
  const fs::path model = tmp_ / "outside";
  fs::create_directories(model);
  std::ofstream(model / "weights.bin") << std::string(100, 'w');
  Json imported = CitadelJson({"import", model.string(), "--name", "outside", "--json"});
  const std::string id = imported["artifact"];
  Json st = CitadelJson({"provenance", id, "--json"});
  EXPECT_EQ(st["predicate"]["buildDefinition"]["externalParameters"]["kind"], "import");
  EXPECT_EQ(st["predicate"]["buildDefinition"]["externalParameters"]["spec"]["path"],
            fs::absolute(model).lexically_normal().string());
  CliResult chain = Citadel({"verify", "--chain", id});
  EXPECT_EQ(chain.exit_code, 0) << chain.err;
}

}  // namespace
}  // namespace citadel::testing
