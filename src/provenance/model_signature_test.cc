// OMS signatures: the OpenSSF reference bundles verify (key and
// certificate based, v1.0 and v1.1 layouts) and are rejected after each kind
// of tampering; bundles Citadel writes verify with every key algorithm, in
// file and shard mode.
#include "provenance/model_signature.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include "base/system/files.h"
#include "base/testing/scratch_dir.h"
#include "base/text/base64.h"

namespace citadel::provenance {
namespace {

namespace fs = std::filesystem;

const fs::path kOms = "../shared/testdata/oms";

crypto::PublicKey ReferenceKey() {
  auto pem = ReadFile(kOms / "keys/signing-key-pub.pem");
  EXPECT_TRUE(pem.ok());
  auto key = crypto::PublicKey::FromPem(*pem, "signing-key-pub.pem");
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return *key;
}

TrustAnchors KeyAnchor() {
  TrustAnchors a;
  a.keys = {ReferenceKey()};
  return a;
}

TrustAnchors CaAnchors() {
  TrustAnchors a;
  for (const char* f : {"keys/ca-cert.pem", "keys/int-ca-cert.pem"}) {
    auto pem = ReadFile(kOms / f);
    EXPECT_TRUE(pem.ok());
    auto roots = crypto::ReadPemCertificates(*pem, f);
    EXPECT_TRUE(roots.ok());
    a.roots.insert(a.roots.end(), roots->begin(), roots->end());
  }
  return a;
}

Result<VerifiedModel> Verify(const fs::path& model, const fs::path& signature,
                             const TrustAnchors& anchors) {
  ASSIGN_OR_RETURN(std::string bundle, ReadFile(signature));
  return VerifyModel(model, bundle, anchors, signature);
}

// A writable copy of a reference model directory.
fs::path CopyModel(const testing::ScratchDir& dir, const std::string& name) {
  const fs::path to = dir / name;
  fs::copy(kOms / name, to, fs::copy_options::recursive);
  for (const auto& e : fs::recursive_directory_iterator(to)) {
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  }
  return to;
}

TEST(OmsReference, KeyAndCertificateBundlesVerify) {
  for (const char* name : {"v1.1.0-elliptic-key"}) {
    auto v = Verify(kOms / name, kOms / name / "model.sig", KeyAnchor());
    ASSERT_TRUE(v.ok()) << name << ": " << v.status().ToString();
    EXPECT_EQ(v->resources, 2u);
    EXPECT_EQ(v->signer,
              "key sha256:e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e");
  }
  // v1.0.0 signed the single file signme-1, its key embedded as PEM.
  auto single = Verify(kOms / "v1.0.0-elliptic-key/signme-1",
                       kOms / "v1.0.0-elliptic-key/model.sig", KeyAnchor());
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  EXPECT_EQ(single->resources, 1u);
  for (const char* name : {"v1.0.0-certificate", "v1.1.0-certificate"}) {
    auto v = Verify(kOms / name, kOms / name / "model.sig", CaAnchors());
    ASSERT_TRUE(v.ok()) << name << ": " << v.status().ToString();
    EXPECT_EQ(v->resources, 2u);
  }
  // The spec's own vector covers the same files, in a directory without
  // the other signature (which its ignore_paths do not name).
  testing::ScratchDir dir;
  const fs::path model = CopyModel(dir, "v1.1.0-elliptic-key");
  fs::remove(model / "model.sig");
  auto vector = Verify(model, kOms / "spec-vectors/valid__key.bundle.json", KeyAnchor());
  EXPECT_TRUE(vector.ok()) << vector.status().ToString();
  std::ofstream(model / "model.sig") << "{}";
  auto uncovered = Verify(model, kOms / "spec-vectors/valid__key.bundle.json", KeyAnchor());
  EXPECT_NE(uncovered.status().message().find("'model.sig' is not covered"), std::string::npos)
      << uncovered.status().ToString();
}

// The reference signing certificate has no subjectAltName; its subject is
// "CN=intermediate-ca" (openssl x509 -subject on keys/signing-key-cert.pem).
TEST(OmsReference, CertificateBundlesVerifyOnlyForATrustedSignerIdentity) {
  const fs::path model = kOms / "v1.1.0-certificate";
  const fs::path sig = model / "model.sig";
  auto any = Verify(model, sig, CaAnchors());
  ASSERT_TRUE(any.ok()) << any.status().ToString();
  EXPECT_EQ(any->signer, "certificate CN=intermediate-ca, issued by CN=intermediate-ca");

  TrustAnchors exact = CaAnchors();
  exact.identities = {SignerIdentityRule::Exact("release@acme.example"),
                      SignerIdentityRule::Exact("subject:CN=intermediate-ca")};
  EXPECT_TRUE(Verify(model, sig, exact).ok());
  // The subject is matched only when a rule asks for it.
  exact.identities = {SignerIdentityRule::Exact("CN=intermediate-ca")};
  EXPECT_EQ(Verify(model, sig, exact).status().code(), StatusCode::kPermissionDenied);

  TrustAnchors pattern = CaAnchors();
  pattern.identities = {*SignerIdentityRule::Regexp("subject:CN=intermediate-.*")};
  EXPECT_TRUE(Verify(model, sig, pattern).ok());
  // The pattern must match the whole name, not a part of it.
  pattern.identities = {*SignerIdentityRule::Regexp("subject:intermediate")};
  EXPECT_EQ(Verify(model, sig, pattern).status().code(), StatusCode::kPermissionDenied);

  TrustAnchors other = CaAnchors();
  other.identities = {SignerIdentityRule::Exact("release@acme.example")};
  auto refused = Verify(model, sig, other);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(refused.status().message().find(
                "issued to CN=intermediate-ca, issued by CN=intermediate-ca, which is not a "
                "trusted signer identity (trusted: identity 'release@acme.example')"),
            std::string::npos)
      << refused.status().ToString();

  // The right name from the wrong identity provider is someone else.
  TrustAnchors issuer = CaAnchors();
  issuer.identities = {
      SignerIdentityRule::Exact("subject:CN=intermediate-ca", "https://idp.example")};
  EXPECT_EQ(Verify(model, sig, issuer).status().code(), StatusCode::kPermissionDenied);
}

TEST(OmsReference, EveryTamperingIsRejectedNamingWhatChanged) {
  testing::ScratchDir dir;
  struct Case {
    std::string what;
    std::function<void(const fs::path&)> tamper;
    StatusCode code;
    std::string expected;
  } cases[] = {
      {"modified", [](const fs::path& m) { std::ofstream(m / "signme-1") << "changed"; },
       StatusCode::kDataLoss, "'signme-1' was modified after signing"},
      {"added", [](const fs::path& m) { std::ofstream(m / "payload.bin") << "x"; },
       StatusCode::kDataLoss, "'payload.bin' is not covered by the signature"},
      {"removed", [](const fs::path& m) { fs::remove(m / "signme-2"); }, StatusCode::kDataLoss,
       "'signme-2' is signed but missing"},
      {"envelope altered",
       [](const fs::path& m) {
         Json b = Json::parse(*ReadFile(m / "model.sig"));
         std::string payload = *Base64Decode(b["dsseEnvelope"]["payload"].get<std::string>());
         payload.replace(payload.find("signme-2"), 8, "signme-3");
         b["dsseEnvelope"]["payload"] = Base64Encode(payload);
         std::ofstream(m / "model.sig") << b.dump();
       },
       StatusCode::kPermissionDenied, "the signature does not verify"},
      {"signature altered",
       [](const fs::path& m) {
         Json b = Json::parse(*ReadFile(m / "model.sig"));
         std::string sig =
             *Base64Decode(b["dsseEnvelope"]["signatures"][0]["sig"].get<std::string>());
         sig[sig.size() / 2] ^= 0x01;
         b["dsseEnvelope"]["signatures"][0]["sig"] = Base64Encode(sig);
         std::ofstream(m / "model.sig") << b.dump();
       },
       StatusCode::kPermissionDenied, "the signature does not verify"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const fs::path model = CopyModel(dir, "v1.1.0-elliptic-key");
    c.tamper(model);
    auto v = Verify(model, model / "model.sig", KeyAnchor());
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.status().code(), c.code) << v.status().ToString();
    EXPECT_NE(v.status().message().find(c.expected), std::string::npos) << v.status().ToString();
    fs::remove_all(model);
  }
  // A file under an ignored path changes nothing.
  const fs::path model = CopyModel(dir, "v1.1.0-elliptic-key");
  fs::create_directories(model / ".git");
  std::ofstream(model / ".git" / "HEAD") << "ref: refs/heads/main";
  std::ofstream(model / "ignore-me") << "anything";
  EXPECT_TRUE(Verify(model, model / "model.sig", KeyAnchor()).ok());
}

TEST(OmsReference, WrongAnchorsAndMalformedBundlesAreRefused) {
  auto other = crypto::PrivateKey::Generate(crypto::KeyAlgorithm::kEcdsaP384);
  ASSERT_TRUE(other.ok());
  TrustAnchors wrong;
  wrong.keys = {other->Public()};
  auto v = Verify(kOms / "v1.1.0-elliptic-key", kOms / "v1.1.0-elliptic-key/model.sig", wrong);
  EXPECT_EQ(v.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(v.status().message().find("signed by another key"), std::string::npos);

  auto no_ca =
      Verify(kOms / "v1.1.0-certificate", kOms / "v1.1.0-certificate/model.sig", KeyAnchor());
  EXPECT_NE(no_ca.status().message().find("--cert-chain"), std::string::npos);
  TrustAnchors only_root;
  only_root.roots.push_back("not a certificate");
  EXPECT_FALSE(
      Verify(kOms / "v1.1.0-certificate", kOms / "v1.1.0-certificate/model.sig", only_root).ok());

  const std::pair<const char*, const char*> vectors[] = {
      {"invalid__empty.bundle.json", "not JSON"},
      {"invalid__missing-envelope.bundle.json", "dsseEnvelope"},
      {"invalid__missing-verification-material.bundle.json", "verificationMaterial"},
      // Its payload was edited after signing: the signature catches it first.
      {"invalid-payload__wrong-predicate.bundle.json", "the signature does not verify"},
  };
  for (const auto& [file, expected] : vectors) {
    auto r = Verify(kOms / "v1.1.0-elliptic-key", kOms / "spec-vectors" / file, KeyAnchor());
    ASSERT_FALSE(r.ok()) << file;
    EXPECT_NE(r.status().message().find(expected), std::string::npos)
        << file << ": " << r.status().ToString();
  }
}

TEST(ModelSignature, ASignedStatementOfAnotherPredicateIsRefused) {
  testing::ScratchDir dir;
  const fs::path model = dir / "model";
  fs::create_directories(model);
  std::ofstream(model / "w.bin") << "weights";
  auto key = crypto::PrivateKey::Generate(crypto::KeyAlgorithm::kEcdsaP256);
  ASSERT_TRUE(key.ok());
  auto bundle = SignModel(model, *key, {}, model / "model.sig");
  ASSERT_TRUE(bundle.ok());
  // Re-sign a statement whose predicate type is another one.
  Json statement =
      Json::parse(*Base64Decode((*bundle)["dsseEnvelope"]["payload"].get<std::string>()));
  statement["predicateType"] = "https://example.com/other/v1";
  const std::string payload = statement.dump();
  const std::string type = "application/vnd.in-toto+json";
  auto sig = key->Sign("DSSEv1 " + std::to_string(type.size()) + " " + type + " " +
                       std::to_string(payload.size()) + " " + payload);
  ASSERT_TRUE(sig.ok());
  (*bundle)["dsseEnvelope"]["payload"] = Base64Encode(payload);
  (*bundle)["dsseEnvelope"]["signatures"][0]["sig"] = Base64Encode(*sig);
  TrustAnchors anchors;
  anchors.keys = {key->Public()};
  auto v = VerifyModel(model, bundle->dump(), anchors, model / "model.sig");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("https://example.com/other/v1"), std::string::npos)
      << v.status().ToString();
}

TEST(ModelSignature, FieldsOfTheWrongTypeAreAMalformedBundle) {
  const std::string valid = *ReadFile(kOms / "v1.1.0-elliptic-key/model.sig");
  Json bundle = Json::parse(valid);
  std::vector<Json> variants;
  for (const char* field : {"verificationMaterial", "dsseEnvelope"}) {
    Json b = bundle;
    b[field] = "a string";
    variants.push_back(b);
  }
  Json b = bundle;
  b["dsseEnvelope"]["signatures"] = Json::array({"not an object"});
  variants.push_back(b);
  b = bundle;
  b["verificationMaterial"] = {{"x509CertificateChain", "not an object"}};
  variants.push_back(b);
  TrustAnchors anchors = CaAnchors();
  anchors.keys = {ReferenceKey()};
  for (const Json& v : variants) {
    auto r = OpenBundle(v.dump(), anchors);
    ASSERT_FALSE(r.ok()) << v.dump();
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  }
}

class SignAndVerify : public ::testing::TestWithParam<crypto::KeyAlgorithm> {};

TEST_P(SignAndVerify, FilesAndShardsRoundTrip) {
  testing::ScratchDir dir;
  const fs::path model = dir / "model";
  fs::create_directories(model / "weights");
  std::ofstream(model / "config.json") << "{\"layers\": 2}";
  std::ofstream(model / "weights" / "part-0.bin") << std::string(1000, 'a');
  std::ofstream(model / "weights" / "part-1.bin") << std::string(10, 'b');
  std::ofstream(model / "README.md") << "ignored";
  auto key = crypto::PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok());
  TrustAnchors anchors;
  anchors.keys = {key->Public()};
  for (const char* method : {"files", "shards"}) {
    SCOPED_TRACE(method);
    Serialization ser;
    ser.method = method;
    ser.shard_size = 256;
    ser.ignore_paths = {"README.md"};
    const fs::path signature = model / "model.sig";
    auto bundle = SignModel(model, *key, ser, signature);
    ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
    ASSERT_TRUE(WriteFileAtomic(signature, bundle->dump(2)).ok());
    auto v = Verify(model, signature, anchors);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    // 3 files; in shards of 256 bytes: 4 + 1 + 1.
    EXPECT_EQ(v->resources, std::string(method) == "files" ? 3u : 6u);
    std::ofstream(model / "weights" / "part-0.bin", std::ios::app) << "x";
    auto tampered = Verify(model, signature, anchors);
    EXPECT_NE(tampered.status().message().find("'weights/part-0.bin'"), std::string::npos)
        << tampered.status().ToString();
    std::ofstream(model / "weights" / "part-0.bin") << std::string(1000, 'a');
  }
}

INSTANTIATE_TEST_SUITE_P(Keys, SignAndVerify,
                         ::testing::Values(crypto::KeyAlgorithm::kEcdsaP256,
                                           crypto::KeyAlgorithm::kEcdsaP384,
                                           crypto::KeyAlgorithm::kEd25519));

TEST(ModelSignature, IgnorePathsAreNormalizedAndMustStayInsideTheModel) {
  testing::ScratchDir dir;
  const fs::path model = dir / "model";
  fs::create_directories(model / "logs");
  std::ofstream(model / "w.bin") << "w";
  std::ofstream(model / "logs" / "run.txt") << "log";
  for (const char* spelling : {"logs/", "./logs", "logs"}) {
    Serialization ser;
    ser.ignore_paths = {spelling};
    auto r = HashModel(model, ser, model / "model.sig");
    ASSERT_TRUE(r.ok()) << spelling;
    EXPECT_EQ(r->size(), 1u) << spelling;
  }
  for (const char* outside : {"/etc", "../x", ".."}) {
    Serialization ser;
    ser.ignore_paths = {outside};
    EXPECT_EQ(HashModel(model, ser, model / "model.sig").status().code(),
              StatusCode::kInvalidArgument)
        << outside;
  }
}

TEST(ModelSignature, SymlinksAreRefused) {
  testing::ScratchDir dir;
  const fs::path model = dir / "model";
  fs::create_directories(model);
  std::ofstream(model / "a.bin") << "a";
  fs::create_symlink("/etc/passwd", model / "link");
  auto r = HashModel(model, {}, model / "model.sig");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'link' is a symbolic link"), std::string::npos);
}

}  // namespace
}  // namespace citadel::provenance
