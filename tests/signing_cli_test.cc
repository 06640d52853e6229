// `citadel keys generate`, `citadel sign` and `citadel verify` as a user
// runs them: bundles Citadel writes are valid OMS bundles (checked against
// the spec's JSON schemas and verified by Python's cryptography as a peer),
// the OpenSSF reference bundles verify, and tampering fails naming the file.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "base/system/files.h"
#include "cli_runner.h"

namespace citadel::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kOms = "../shared/testdata/oms";

// The peer check: the bundle against bundle.schema.json (with the envelope
// schema), its statement against statement.schema.json (with the predicate
// schema), and its DSSE signature with Python's cryptography.
constexpr const char* kPeerCheck = R"PY(
import base64, hashlib, json, sys
import jsonschema
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
schemas, bundle_path, key_path = sys.argv[1:4]
def load(name):
    return json.load(open(f"{schemas}/{name}.schema.json"))
store = {load(n)["$id"]: load(n) for n in ("bundle", "envelope", "statement", "predicate")}
def check(instance, name):
    schema = load(name)
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    jsonschema.Draft202012Validator(schema, resolver=resolver).validate(instance)
bundle = json.load(open(bundle_path))
check(bundle, "bundle")
envelope = bundle["dsseEnvelope"]
payload = base64.b64decode(envelope["payload"])
check(json.loads(payload), "statement")
kind = envelope["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)
key = serialization.load_pem_public_key(open(key_path, "rb").read())
sig = base64.b64decode(envelope["signatures"][0]["sig"])
if isinstance(key, ed25519.Ed25519PublicKey):
    key.verify(sig, pae)
else:
    key.verify(sig, pae, ec.ECDSA(hashes.SHA256() if key.curve.key_size == 256 else hashes.SHA384()))
pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
assert bundle["verificationMaterial"]["publicKey"]["hint"] == hashlib.sha256(pem).hexdigest()
print("peer ok")
)PY";

class Signing : public CliTest {
 protected:
  fs::path MakeModel() {
    const fs::path model = tmp_ / "model";
    fs::create_directories(model / "weights");
    std::ofstream(model / "config.json") << "{\"arch\": \"mlp\"}";
    std::ofstream(model / "weights" / "w.safetensors") << std::string(3000, 'w');
    return model;
  }
};

TEST_F(Signing, BundlesCitadelWritesAreValidOmsBundlesForEveryKeyAlgorithm) {
  std::ofstream(tmp_ / "peer_check.py") << kPeerCheck;
  for (const char* algorithm : {"ecdsa-p256", "ecdsa-p384", "ed25519"}) {
    SCOPED_TRACE(algorithm);
    const fs::path keys = tmp_ / (std::string("keys-") + algorithm);
    ASSERT_EQ(
        Citadel({"keys", "generate", "--algorithm", algorithm, "--out", keys.string()}).exit_code,
        0);
    const fs::path model = MakeModel();
    CliResult sign = Citadel({"sign", model.string(), "--key", (keys / "signing-key.pem").string(),
                              "--shard-size", "1024"});
    ASSERT_EQ(sign.exit_code, 0) << sign.err;
    CliResult verify =
        Citadel({"verify", model.string(), "--key", (keys / "signing-key.pub.pem").string()});
    EXPECT_EQ(verify.exit_code, 0) << verify.err;
    EXPECT_NE(verify.out.find("verified"), std::string::npos);
    auto [rc, out] = Shell("/usr/bin/python3 " + (tmp_ / "peer_check.py").string() + " " +
                           (kOms / "spec-schemas").string() + " " + (model / "model.sig").string() +
                           " " + (keys / "signing-key.pub.pem").string());
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("peer ok"), std::string::npos) << out;
    fs::remove_all(model);
  }
}

TEST_F(Signing, TheWorkspaceKeyIsTheDefaultAndIsNeverSilentlyReplaced) {
  const fs::path model = MakeModel();
  // Outside a workspace there is no default key.
  CliResult no_key = Citadel({"sign", model.string()});
  EXPECT_EQ(no_key.exit_code, 1);
  EXPECT_NE(no_key.err.find("citadel init"), std::string::npos) << no_key.err;
  // `citadel init` makes the workspace key, owner-readable only.
  ASSERT_EQ(Citadel({"init"}).exit_code, 0);
  EXPECT_EQ(fs::status(home_ / "keys" / "signing-key.pem").permissions() &
                (fs::perms::group_all | fs::perms::others_all),
            fs::perms::none)
      << "the private key is readable by its owner only";
  ASSERT_TRUE(fs::exists(home_ / "keys" / "signing-key.pub.pem"));
  const std::string first_key = ReadFile(home_ / "keys" / "signing-key.pem").value();
  CliResult again = Citadel({"keys", "generate"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("--force"), std::string::npos);
  EXPECT_EQ(ReadFile(home_ / "keys" / "signing-key.pem").value(), first_key);
  ASSERT_EQ(Citadel({"sign", model.string()}).exit_code, 0);
  CliResult ok = Citadel({"verify", model.string(), "--key",
                          (home_ / "keys" / "signing-key.pub.pem").string(), "--json"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(Json::parse(ok.out)["verified"], true);

  std::ofstream(model / "weights" / "extra.bin") << "smuggled";
  CliResult tampered = Citadel({"verify", model.string(), "--key",
                                (home_ / "keys" / "signing-key.pub.pem").string(), "--json"});
  EXPECT_EQ(tampered.exit_code, 1);
  Json j = Json::parse(tampered.out);
  EXPECT_EQ(j["verified"], false);
  EXPECT_NE(j["error"].get<std::string>().find("'weights/extra.bin' is not covered"),
            std::string::npos)
      << j.dump();
}

TEST_F(Signing, TheOpenSsfReferenceBundlesVerifyAndTheirTamperedCopiesDoNot) {
  const std::string key = (kOms / "keys/signing-key-pub.pem").string();
  EXPECT_EQ(Citadel({"verify", (kOms / "v1.1.0-elliptic-key").string(), "--key", key}).exit_code,
            0);
  EXPECT_EQ(
      Citadel({"verify", (kOms / "v1.0.0-certificate").string(), "--cert-chain",
               (kOms / "keys/ca-cert.pem").string(), (kOms / "keys/int-ca-cert.pem").string()})
          .exit_code,
      0);
  const fs::path copy = tmp_ / "copy";
  fs::copy(kOms / "v1.1.0-elliptic-key", copy);
  fs::permissions(copy / "signme-2", fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(copy / "signme-2") << "poisoned";
  CliResult r = Citadel({"verify", copy.string(), "--key", key});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("'signme-2' was modified after signing"), std::string::npos) << r.err;
  EXPECT_EQ(Citadel({"verify", copy.string(), "--key", key, "--cert-chain", key}).exit_code, 2)
      << "--key and --cert-chain exclude each other";
}

class SignedArtifacts : public DigitsWorkspaceTest {};

TEST_F(SignedArtifacts, AStoredModelIsSignedByRefVerifiedAndExportedWithItsSignature) {
  Json run = CitadelJson({"run", spec_.string(), "--json"});
  const std::string model = run["steps"][1]["outputs"]["model"];
  const std::string pub = (home_ / "keys" / "signing-key.pub.pem").string();
  CliResult unsigned_model = Citadel({"verify", "digits@candidate", "--key", pub});
  EXPECT_EQ(unsigned_model.exit_code, 1);
  EXPECT_NE(Citadel({"verify", "digits@candidate", "--key", pub}).err.find("is not signed"),
            std::string::npos);

  CliResult sign = Citadel({"sign", "digits@candidate"});
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  EXPECT_NE(sign.out.find(model), std::string::npos) << sign.out;
  CliResult verify = Citadel({"verify", model, "--key", pub, "--json"});
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(Json::parse(verify.out)["resources"], 3)
      << "model.json, model.safetensors and ood.safetensors";

  // Exported, the directory carries model.sig and verifies on its own.
  const fs::path out = tmp_ / "exported";
  ASSERT_EQ(Citadel({"artifacts", "export", model, out.string()}).exit_code, 0);
  EXPECT_TRUE(fs::exists(out / "model.sig"));
  CliResult dir = Citadel({"verify", out.string(), "--key", pub});
  EXPECT_EQ(dir.exit_code, 0) << dir.err;

  // Another key does not verify it; a damaged blob is named.
  ASSERT_EQ(Citadel({"keys", "generate", "--out", (tmp_ / "other").string()}).exit_code, 0);
  CliResult other =
      Citadel({"verify", model, "--key", (tmp_ / "other" / "signing-key.pub.pem").string()});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("signed by another key"), std::string::npos) << other.err;
  Json shown = CitadelJson({"artifacts", "show", model, "--json"});
  std::string weights;
  for (const Json& f : shown["files"]) {
    if (f["path"] == "model.safetensors") weights = f["sha256"];
  }
  const fs::path blob = home_ / "blobs" / "sha256" / weights.substr(0, 2) / weights;
  fs::permissions(blob, fs::perms::owner_write, fs::perm_options::add);
  {
    std::fstream f(blob, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
  }
  CliResult damaged = Citadel({"verify", model, "--key", pub});
  EXPECT_EQ(damaged.exit_code, 1);
  EXPECT_NE(damaged.err.find("DataLoss"), std::string::npos) << damaged.err;
  EXPECT_NE(damaged.err.find("model.safetensors"), std::string::npos) << damaged.err;
}

TEST_F(SignedArtifacts, ThePolicyRefusesToLoadAnUnsignedModelAndNamesTheCheck) {
  std::ofstream(home_ / "policy.yaml") << "trusted_keys: [keys/signing-key.pub.pem]\n"
                                          "require:\n  model: [signature, scan]\n";
  CliResult refused = Citadel({"run", spec_.string(), "--json"});
  EXPECT_EQ(refused.exit_code, 1);
  Json outcome = Json::parse(refused.out);
  std::string model;
  for (const Json& s : outcome["steps"]) {
    if (s["name"] == "train") model = s["outputs"]["model"];
    if (s["name"] == "evaluate") {
      EXPECT_EQ(s["status"], "failed");
      const std::string error = s["error"];
      EXPECT_NE(error.find("is refused by"), std::string::npos) << error;
      EXPECT_NE(error.find("policy.yaml: check 'signature' failed"), std::string::npos) << error;
      EXPECT_NE(error.find("is not signed"), std::string::npos) << error;
    }
  }
  ASSERT_FALSE(model.empty());
  ASSERT_EQ(Citadel({"sign", model}).exit_code, 0);
  CliResult accepted = Citadel({"run", spec_.string()});
  EXPECT_EQ(accepted.exit_code, 0) << accepted.err;

  // A policy that asks for a check that does not exist is refused with its line.
  std::ofstream(home_ / "policy.yaml") << "trusted_keys: [keys/signing-key.pub.pem]\n"
                                          "require:\n  model: [signature, vibes]\n";
  CliResult bad = Citadel({"run", spec_.string(), "--force"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("policy.yaml:3"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("unknown check 'vibes'"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace citadel::testing
