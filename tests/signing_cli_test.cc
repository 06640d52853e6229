// `citadel keys generate`, `citadel sign` and `citadel verify` as a user
// runs them: bundles Citadel writes are valid OMS bundles (checked against
// the spec's JSON schemas and verified by Python's cryptography as a peer),
// the OpenSSF reference bundles verify, and tampering fails naming the file.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "base/system/files.h"
#include "cli_runner.h"
#include "crypto/test_certificates.h"

namespace citadel::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kOms = "../shared/testdata/oms";

// The peer check: the bundle against bundle.schema.json (with the envelope
// schema), its statement against statement.schema.json (with the predicate
// schema), and its DSSE signature with Python's cryptography, using the
// public key or, for certificate-based bundles, the signing certificate
// (which must be the bundle's first).
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
material = bundle["verificationMaterial"]
pem_text = open(key_path, "rb").read()
if b"CERTIFICATE" in pem_text:  # certificate-based: the bundle carries this certificate first
    from cryptography import x509
    cert = x509.load_pem_x509_certificate(pem_text)
    first = material["x509CertificateChain"]["certificates"][0]["rawBytes"]
    assert base64.b64decode(first) == cert.public_bytes(serialization.Encoding.DER)
    key = cert.public_key()
else:
    key = serialization.load_pem_public_key(pem_text)
sig = base64.b64decode(envelope["signatures"][0]["sig"])
if isinstance(key, ed25519.Ed25519PublicKey):
    key.verify(sig, pae)
else:
    key.verify(sig, pae, ec.ECDSA(hashes.SHA256() if key.curve.key_size == 256 else hashes.SHA384()))
if "publicKey" in material:
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert material["publicKey"]["hint"] == hashlib.sha256(pem).hexdigest()
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
  // The peer check of `bundle` with `key_or_certificate` (a PEM file).
  void PeerCheck(const fs::path& bundle, const fs::path& key_or_certificate) {
    std::ofstream(tmp_ / "peer_check.py") << kPeerCheck;
    auto [rc, out] = Shell("/usr/bin/python3 " + (tmp_ / "peer_check.py").string() + " " +
                           (kOms / "spec-schemas").string() + " " + bundle.string() + " " +
                           key_or_certificate.string());
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("peer ok"), std::string::npos) << out;
  }
};

constexpr const char* kCodeSigning =
    "keyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n";

TEST_F(Signing, BundlesCitadelWritesAreValidOmsBundlesForEveryKeyAlgorithm) {
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
    PeerCheck(model / "model.sig", keys / "signing-key.pub.pem");
    fs::remove_all(model);
  }
}

// Signing with a key and the certificate an organisation's CA issued for
// it: verifiers trust the CA and a signer identity, not a key handed over.
TEST_F(Signing, ACertificateSignedModelVerifiesForItsIdentityOnly) {
  crypto::TestCertificateAuthority ca;
  const auto release = ca.IssueWithKey(
      "/O=Acme/CN=release", std::string(kCodeSigning) + "subjectAltName=email:ml@acme.example\n");
  const auto server = ca.IssueWithKey("/CN=www", "extendedKeyUsage=serverAuth\n");
  const fs::path ca_pem = tmp_ / "ca.pem", key = tmp_ / "release.key", cert = tmp_ / "release.pem",
                 server_cert = tmp_ / "server.pem";
  std::ofstream(ca_pem) << ca.ca_pem();
  std::ofstream(key) << release.key_pem;
  std::ofstream(cert) << release.pem;
  std::ofstream(server_cert) << server.pem;
  const fs::path model = MakeModel();

  CliResult sign =
      Citadel({"sign", model.string(), "--key", key.string(), "--certificate", cert.string()});
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  EXPECT_NE(sign.out.find("certificate email:ml@acme.example"), std::string::npos) << sign.out;
  PeerCheck(model / "model.sig", cert);

  CliResult ok = Citadel({"verify", model.string(), "--cert-chain", ca_pem.string(), "--identity",
                          "ml@acme.example", "--json"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(Json::parse(ok.out)["signer"],
            "certificate email:ml@acme.example, issued by CN=test-ca");
  CliResult other = Citadel({"verify", model.string(), "--cert-chain", ca_pem.string(),
                             "--identity-regexp", ".*@research\\.acme\\.example"});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("issued to email:ml@acme.example"), std::string::npos) << other.err;
  // Another CA's root does not vouch for it.
  crypto::TestCertificateAuthority stranger;
  std::ofstream(tmp_ / "stranger.pem") << stranger.ca_pem();
  // A --cert-chain file without a certificate is named.
  CliResult no_root = Citadel({"verify", model.string(), "--cert-chain", key.string()});
  EXPECT_EQ(no_root.exit_code, 1);
  EXPECT_NE(no_root.err.find(key.string() + ": no PEM certificate"), std::string::npos)
      << no_root.err;
  CliResult untrusted =
      Citadel({"verify", model.string(), "--cert-chain", (tmp_ / "stranger.pem").string()});
  EXPECT_EQ(untrusted.exit_code, 1);
  EXPECT_NE(untrusted.err.find("does not chain to a trusted CA"), std::string::npos)
      << untrusted.err;

  // Refused before anything is written: a certificate for another key, one
  // not issued for code signing, a file without certificates.
  fs::remove(model / "model.sig");
  CliResult wrong_key = Citadel(
      {"sign", model.string(), "--key", key.string(), "--certificate", server_cert.string()});
  EXPECT_EQ(wrong_key.exit_code, 1);
  EXPECT_NE(wrong_key.err.find("not issued for code signing"), std::string::npos) << wrong_key.err;
  const fs::path other_key = tmp_ / "other.key";
  std::ofstream(other_key) << server.key_pem;
  CliResult mismatched = Citadel(
      {"sign", model.string(), "--key", other_key.string(), "--certificate", cert.string()});
  EXPECT_EQ(mismatched.exit_code, 1);
  EXPECT_NE(mismatched.err.find("issued for another key than the signing key"), std::string::npos)
      << mismatched.err;
  CliResult no_cert =
      Citadel({"sign", model.string(), "--key", key.string(), "--certificate", key.string()});
  EXPECT_EQ(no_cert.exit_code, 1);
  EXPECT_NE(no_cert.err.find("no PEM certificate"), std::string::npos) << no_cert.err;
  EXPECT_FALSE(fs::exists(model / "model.sig"));
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
  // Only the named signer: the reference certificate is issued to
  // "CN=intermediate-ca" (its subject; it has no subjectAltName).
  const std::vector<std::string> cert_verify = {
      "verify", (kOms / "v1.1.0-certificate").string(), "--cert-chain",
      (kOms / "keys/ca-cert.pem").string(), (kOms / "keys/int-ca-cert.pem").string()};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = cert_verify;
    args.insert(args.end(), extra.begin(), extra.end());
    return Citadel(args);
  };
  CliResult named = with({"--identity", "subject:CN=intermediate-ca", "--json"});
  EXPECT_EQ(named.exit_code, 0) << named.err;
  EXPECT_EQ(Json::parse(named.out)["signer"],
            "certificate CN=intermediate-ca, issued by CN=intermediate-ca");
  EXPECT_EQ(with({"--identity-regexp", "subject:CN=intermediate-[a-z]+"}).exit_code, 0);
  EXPECT_EQ(with({"--identity", "CN=intermediate-ca"}).exit_code, 1)
      << "the subject is matched only when asked for with subject:";
  CliResult stranger = with({"--identity", "release@acme.example"});
  EXPECT_EQ(stranger.exit_code, 1);
  EXPECT_NE(stranger.err.find("not a trusted signer identity (trusted: identity "
                              "'release@acme.example')"),
            std::string::npos)
      << stranger.err;
  EXPECT_EQ(
      with({"--identity", "CN=intermediate-ca", "--oidc-issuer", "https://idp.example"}).exit_code,
      1)
      << "the reference certificate records no OIDC issuer";
  CliResult bad_pattern = with({"--identity-regexp", "(unclosed"});
  EXPECT_EQ(bad_pattern.exit_code, 1);
  EXPECT_NE(bad_pattern.err.find("not a valid regular expression"), std::string::npos)
      << bad_pattern.err;
  EXPECT_EQ(
      Citadel({"verify", (kOms / "v1.1.0-elliptic-key").string(), "--key", key, "--identity", "x"})
          .exit_code,
      2)
      << "--identity needs --cert-chain";

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

// policy.yaml trusts a CA and, among the certificates it issues, one signer
// identity: a model signed by that identity loads, one signed by a
// colleague's certificate from the same CA is refused naming the check.
TEST_F(SignedArtifacts, ThePolicyTrustsCertificateSignersByIdentity) {
  crypto::TestCertificateAuthority ca;
  const std::string code_signing =
      "keyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n";
  const auto release = ca.IssueWithKey(
      "/CN=release", code_signing + "subjectAltName=URI:https://ci.acme.example/pipelines/7\n");
  const auto colleague =
      ca.IssueWithKey("/CN=intern", code_signing + "subjectAltName=email:intern@acme.example\n");
  for (const auto& [name, text] :
       {std::pair{"ca.pem", ca.ca_pem()}, std::pair{"release.key", release.key_pem},
        std::pair{"release.pem", release.pem}, std::pair{"intern.key", colleague.key_pem},
        std::pair{"intern.pem", colleague.pem}}) {
    std::ofstream(tmp_ / name) << text;
  }
  std::ofstream(home_ / "policy.yaml")
      << "trusted_roots: [" << (tmp_ / "ca.pem").string() << "]\n"
      << "trusted_identities:\n"
      << "  - { identity_regexp: 'https://ci\\.acme\\.example/pipelines/[0-9]+' }\n"
      << "require:\n  model: [signature]\n";
  Json run = Json::parse(Citadel({"run", spec_.string(), "--json"}).out);
  std::string model;
  for (const Json& s : run["steps"]) {
    if (s["name"] == "train") model = s["outputs"]["model"];
  }
  ASSERT_FALSE(model.empty());

  ASSERT_EQ(Citadel({"sign", model, "--key", (tmp_ / "intern.key").string(), "--certificate",
                     (tmp_ / "intern.pem").string()})
                .exit_code,
            0);
  CliResult refused = Citadel({"run", spec_.string(), "--json"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.out.find("check 'signature' failed"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("issued to email:intern@acme.example"), std::string::npos)
      << refused.out;

  ASSERT_EQ(Citadel({"sign", model, "--key", (tmp_ / "release.key").string(), "--certificate",
                     (tmp_ / "release.pem").string()})
                .exit_code,
            0);
  CliResult accepted = Citadel({"run", spec_.string()});
  EXPECT_EQ(accepted.exit_code, 0) << accepted.err;

  // Mistakes in the policy are named with their line.
  std::ofstream(home_ / "policy.yaml") << "trusted_keys: [keys/signing-key.pub.pem]\n"
                                          "trusted_identities:\n  - { identity: x@y }\n";
  CliResult no_roots = Citadel({"run", spec_.string(), "--force"});
  EXPECT_EQ(no_roots.exit_code, 1);
  EXPECT_NE(no_roots.err.find("give trusted_roots too"), std::string::npos) << no_roots.err;
  std::ofstream(home_ / "policy.yaml") << "trusted_roots: [" << (tmp_ / "ca.pem").string()
                                       << "]\ntrusted_identities:\n"
                                          "  - { identity: x@y }\n"
                                          "  - { identity_regexp: '(open' }\n";
  CliResult bad_pattern = Citadel({"run", spec_.string(), "--force"});
  EXPECT_EQ(bad_pattern.exit_code, 1);
  EXPECT_NE(bad_pattern.err.find("policy.yaml:4"), std::string::npos) << bad_pattern.err;
  EXPECT_NE(bad_pattern.err.find("not a valid regular expression"), std::string::npos)
      << bad_pattern.err;
}

}  // namespace
}  // namespace citadel::testing
