#include "provenance/signer_identity.h"

#include <gtest/gtest.h>

namespace citadel::provenance {
namespace {

crypto::CertificateIdentity Ci() {
  crypto::CertificateIdentity id;
  id.subject = "CN=release-bot,O=Acme";
  id.issuer = "CN=acme-ca";
  id.alt_names = {"email:ml@acme.example", "URI:https://ci.acme.example/pipelines/7"};
  id.oidc_issuer = "https://token.ci.example";
  return id;
}

TEST(SignerIdentity, ExactRulesMatchAnAltNameValueOrTheSubject) {
  EXPECT_TRUE(SignerIdentityRule::Exact("ml@acme.example").Matches(Ci()));
  EXPECT_TRUE(SignerIdentityRule::Exact("https://ci.acme.example/pipelines/7").Matches(Ci()));
  EXPECT_TRUE(SignerIdentityRule::Exact("CN=release-bot,O=Acme").Matches(Ci()));
  // The type prefix is not part of the name; nor is a part of a name enough.
  EXPECT_FALSE(SignerIdentityRule::Exact("email:ml@acme.example").Matches(Ci()));
  EXPECT_FALSE(SignerIdentityRule::Exact("ml@acme").Matches(Ci()));
  EXPECT_FALSE(
      SignerIdentityRule::Exact("CN=acme-ca").Matches(Ci()));  // the issuer is not the signer
}

TEST(SignerIdentity, OidcIssuerMustMatchWhenTheRuleNamesOne) {
  EXPECT_TRUE(
      SignerIdentityRule::Exact("ml@acme.example", "https://token.ci.example").Matches(Ci()));
  EXPECT_FALSE(
      SignerIdentityRule::Exact("ml@acme.example", "https://accounts.example").Matches(Ci()));
  crypto::CertificateIdentity no_issuer = Ci();
  no_issuer.oidc_issuer.clear();
  EXPECT_FALSE(
      SignerIdentityRule::Exact("ml@acme.example", "https://token.ci.example").Matches(no_issuer));
}

TEST(SignerIdentity, RegexpRulesMatchWholeNames) {
  auto pipelines = SignerIdentityRule::Regexp(R"(https://ci\.acme\.example/pipelines/\d+)");
  ASSERT_TRUE(pipelines.ok());
  EXPECT_TRUE(pipelines->Matches(Ci()));
  auto partial = SignerIdentityRule::Regexp("acme");
  ASSERT_TRUE(partial.ok());
  EXPECT_FALSE(partial->Matches(Ci()));
  auto broken = SignerIdentityRule::Regexp("([unclosed");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("'([unclosed' is not a valid regular expression"),
            std::string::npos)
      << broken.status().ToString();
}

TEST(SignerIdentity, CheckPassesWithoutRulesAndNamesBothSidesOnRefusal) {
  EXPECT_TRUE(CheckSignerIdentity(Ci(), {}).ok());
  EXPECT_TRUE(CheckSignerIdentity(Ci(), {SignerIdentityRule::Exact("x@y"),
                                         SignerIdentityRule::Exact("ml@acme.example")})
                  .ok());
  Status refused = CheckSignerIdentity(
      Ci(), {SignerIdentityRule::Exact("x@y"), *SignerIdentityRule::Regexp("bot-.*", "https://i")});
  EXPECT_EQ(refused.code(), StatusCode::kPermissionDenied);
  const std::string m(refused.message());
  EXPECT_NE(m.find("email:ml@acme.example"), std::string::npos) << m;
  EXPECT_NE(m.find("issued by CN=acme-ca"), std::string::npos) << m;
  EXPECT_NE(m.find("trusted: identity 'x@y'; identity matching 'bot-.*' from OIDC issuer "
                   "'https://i'"),
            std::string::npos)
      << m;
}

}  // namespace
}  // namespace citadel::provenance
