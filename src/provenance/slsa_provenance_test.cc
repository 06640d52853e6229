#include "provenance/slsa_provenance.h"

#include <gtest/gtest.h>

#include "base/text/base64.h"
#include "provenance/signed_statement.h"

namespace citadel::provenance {
namespace {

RunProvenance Sample() {
  RunProvenance p;
  p.subjects.push_back({"model",
                        "citadel:artifact/sha256:" + std::string(64, 'a'),
                        std::string(64, 'a'),
                        {{"kind", "model"}}});
  p.dependencies.push_back({"train", "citadel:artifact/sha256:" + std::string(64, 'b'),
                            std::string(64, 'b'), Json::object()});
  p.external_parameters = {{"pipeline", "digits"}, {"step", "train"}, {"spec", {{"epochs", 3}}}};
  p.internal_parameters = {{"seed", 42}};
  p.builder_version = {{"citadel", "0.1"}};
  p.invocation_id = "0190-run";
  p.started_on = "2026-11-26T10:00:00.000Z";
  p.finished_on = "2026-11-26T10:00:01.000Z";
  return p;
}

TEST(SlsaProvenance, TheStatementRoundTripsWithEveryField) {
  const RunProvenance p = Sample();
  const Json st = ProvenanceStatement(p);
  EXPECT_EQ(st["_type"], "https://in-toto.io/Statement/v1");
  EXPECT_EQ(st["predicateType"], "https://slsa.dev/provenance/v1");
  EXPECT_EQ(st["predicate"]["buildDefinition"]["externalParameters"]["spec"]["epochs"], 3);
  EXPECT_EQ(st["predicate"]["runDetails"]["metadata"]["invocationId"], "0190-run");
  auto back = ParseProvenanceStatement(st);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->subjects.size(), 1u);
  EXPECT_EQ(back->subjects[0].sha256, p.subjects[0].sha256);
  EXPECT_EQ(back->subjects[0].annotations["kind"], "model");
  ASSERT_EQ(back->dependencies.size(), 1u);
  EXPECT_EQ(back->dependencies[0].uri, p.dependencies[0].uri);
  EXPECT_EQ(back->external_parameters, p.external_parameters);
  EXPECT_EQ(back->internal_parameters, p.internal_parameters);
  EXPECT_EQ(back->builder_id, p.builder_id);
  EXPECT_EQ(back->finished_on, p.finished_on);
}

TEST(SlsaProvenance, AMalformedStatementNamesTheField) {
  struct Case {
    std::string pointer;
    Json value;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"/predicateType", "https://example.com/other", "predicateType is"},
      {"/subject", Json::array(), "no subject"},
      {"/subject/0/digest/sha256", "abc", "subject[0].digest.sha256 is not a SHA-256"},
      {"/predicate/buildDefinition/externalParameters", "x",
       "buildDefinition.externalParameters has the wrong type"},
      {"/predicate/buildDefinition/resolvedDependencies/0/digest", Json::object(),
       "resolvedDependencies[0].digest.sha256 is missing"},
      {"/predicate/runDetails/metadata/invocationId", 7,
       "runDetails.metadata.invocationId has the wrong type"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.pointer);
    Json st = ProvenanceStatement(Sample());
    st[Json::json_pointer(c.pointer)] = c.value;
    auto r = ParseProvenanceStatement(st);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos) << r.status().ToString();
  }
  Json no_details = ProvenanceStatement(Sample());
  no_details["predicate"].erase("runDetails");
  auto r = ParseProvenanceStatement(no_details);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("predicate.runDetails is missing"), std::string::npos);
}

TEST(SignedStatement, TheKeyNamedByTheHintVerifiesAndOthersAreRefused) {
  auto a = crypto::PrivateKey::Generate(crypto::KeyAlgorithm::kEcdsaP256);
  auto b = crypto::PrivateKey::Generate(crypto::KeyAlgorithm::kEd25519);
  auto c = crypto::PrivateKey::Generate(crypto::KeyAlgorithm::kEcdsaP384);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  const Json st = ProvenanceStatement(Sample());
  auto bundle = SignStatement(st, *b);
  ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();

  // Several trusted keys: the bundle's hint picks the one that signed.
  TrustAnchors trusted;
  trusted.keys = {a->Public(), b->Public()};
  auto opened = OpenSignedStatement(bundle->dump(), trusted);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->statement, st);
  EXPECT_EQ(opened->signer, "key sha256:" + KeyHint(b->Public()));

  TrustAnchors others;
  others.keys = {a->Public(), c->Public()};
  auto refused = OpenSignedStatement(bundle->dump(), others);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(refused.status().message().find("signed by another key"), std::string::npos);

  // A payload changed after signing does not verify, even with the right key.
  Json forged = *bundle;
  Json changed = st;
  changed["predicate"]["runDetails"]["metadata"]["invocationId"] = "another-run";
  forged["dsseEnvelope"]["payload"] = Base64Encode(changed.dump(2));
  auto tampered = OpenSignedStatement(forged.dump(), trusted);
  ASSERT_FALSE(tampered.ok());
  EXPECT_EQ(tampered.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(tampered.status().message().find("does not verify"), std::string::npos);

  // No anchors at all is a clear error, not a pass.
  auto none = OpenSignedStatement(bundle->dump(), TrustAnchors{});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("--key"), std::string::npos);
  // A wrong-typed field anywhere is a malformed bundle, never an exception.
  Json wrong_type = *bundle;
  wrong_type["dsseEnvelope"]["signatures"] = 5;
  EXPECT_EQ(OpenSignedStatement(wrong_type.dump(), trusted).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace citadel::provenance
