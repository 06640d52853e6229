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

TEST(SignerIdentity, ExactRulesMatchAlternativeNamesAndTheSubjectOnlyWhenAskedFor) {
  EXPECT_TRUE(SignerIdentityRule::Exact("ml@acme.example").Matches(Ci()));
  EXPECT_TRUE(SignerIdentityRule::Exact("https://ci.acme.example/pipelines/7").Matches(Ci()));
  EXPECT_TRUE(SignerIdentityRule::Exact("email:ml@acme.example").Matches(Ci()));
  EXPECT_TRUE(SignerIdentityRule::Exact("URI:https://ci.acme.example/pipelines/7").Matches(Ci()));
  EXPECT_TRUE(SignerIdentityRule::Exact("subject:CN=release-bot,O=Acme").Matches(Ci()));
  // The subject only through "subject:"; a type prefix restricts the type.
  EXPECT_FALSE(SignerIdentityRule::Exact("CN=release-bot,O=Acme").Matches(Ci()));
  EXPECT_FALSE(SignerIdentityRule::Exact("dns:ml@acme.example").Matches(Ci()));
  EXPECT_FALSE(SignerIdentityRule::Exact("uri:ml@acme.example").Matches(Ci()));
  // Nor is a part of a name enough, or the issuer the signer.
  EXPECT_FALSE(SignerIdentityRule::Exact("ml@acme").Matches(Ci()));
  EXPECT_FALSE(SignerIdentityRule::Exact("subject:CN=acme-ca").Matches(Ci()));
}

// The bypasses a name-only match would allow: an email-looking subject, or
// a URI that ends like an email address.
TEST(SignerIdentity, APatternForEmailsIsNotSatisfiedByOtherKindsOfName) {
  crypto::CertificateIdentity forged;
  forged.subject = "CN=boss@acme.example";
  forged.alt_names = {"URI:https://evil.example/@acme.example"};
  forged.issuer = "CN=acme-ca";
  auto typed = SignerIdentityRule::Regexp(R"(email:.*@acme\.example)");
  ASSERT_TRUE(typed.ok());
  EXPECT_FALSE(typed->Matches(forged));
  EXPECT_TRUE(typed->Matches(Ci()));
  // Untyped, it matches alternative names of any type, as cosign does — but
  // never the subject.
  auto untyped = SignerIdentityRule::Regexp(R"(boss@acme\.example)");
  ASSERT_TRUE(untyped.ok());
  EXPECT_FALSE(untyped->Matches(forged));
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
  crypto::CertificateIdentity long_name = Ci();
  long_name.alt_names = {"email:" + std::string(100000, 'a') + "@acme.example"};
  auto any_email = SignerIdentityRule::Regexp("email:.*@acme\\.example");
  ASSERT_TRUE(any_email.ok());
  EXPECT_FALSE(any_email->Matches(long_name)) << "names past 4096 bytes are not matched";
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
