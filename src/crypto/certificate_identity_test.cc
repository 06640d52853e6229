#include "crypto/certificate_identity.h"

#include <gtest/gtest.h>

#include "base/system/files.h"
#include "base/text/base64.h"
#include "base/text/json.h"
#include "crypto/signing_key.h"
#include "crypto/test_certificates.h"

namespace citadel::crypto {
namespace {

using Names = std::vector<std::string>;

constexpr const char* kCodeSigning =
    "keyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n";

// A real Fulcio certificate (the OpenSSF reference bundle signed through
// Sigstore); the expected names are what `openssl x509 -text` prints for it.
TEST(CertificateIdentity, ReadsAFulcioCertificatesEmailAndOidcIssuer) {
  auto text = ReadFile("../shared/testdata/oms/spec-vectors/valid__sigstore.bundle.json");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  const Json bundle = Json::parse(*text);
  auto der =
      Base64Decode(bundle["verificationMaterial"]["certificate"]["rawBytes"].get<std::string>());
  ASSERT_TRUE(der.has_value());
  auto identity = ReadCertificateIdentity(*der, "bundle");
  ASSERT_TRUE(identity.ok()) << identity.status().ToString();
  EXPECT_EQ(identity->alt_names, (Names{"email:stefanb@us.ibm.com"}));
  EXPECT_EQ(identity->oidc_issuer, "https://sigstore.verify.ibm.com/oauth2");
  EXPECT_EQ(identity->subject, "");
  EXPECT_EQ(identity->issuer, "CN=sigstore-intermediate,O=sigstore.dev");
  EXPECT_EQ(identity->Describe(),
            "email:stefanb@us.ibm.com (OIDC issuer https://sigstore.verify.ibm.com/oauth2), "
            "issued by CN=sigstore-intermediate,O=sigstore.dev");
}

TEST(CertificateIdentity, ReadsSubjectAndEveryNameTypeWeMatch) {
  TestCertificateAuthority ca;
  const std::string der =
      ca.Issue("/O=Acme/CN=release-bot",
               std::string(kCodeSigning) +
                   "subjectAltName=email:ml@acme.example,URI:https://ci.acme.example/pipelines/7,"
                   "IP:10.0.0.1,DNS:build.acme.example\n");
  auto identity = ReadCertificateIdentity(der, "cert.der");
  ASSERT_TRUE(identity.ok()) << identity.status().ToString();
  EXPECT_EQ(identity->subject, "CN=release-bot,O=Acme");
  EXPECT_EQ(identity->issuer, "CN=test-ca");
  // The IP address is not an identity anyone signs as: left out.
  EXPECT_EQ(identity->alt_names,
            (Names{"email:ml@acme.example", "URI:https://ci.acme.example/pipelines/7",
                   "DNS:build.acme.example"}));
  EXPECT_EQ(identity->oidc_issuer, "");

  // The chain verifier hands back the same identity with the key.
  auto verified = VerifyCertificateChain({der}, {ca.ca_der()}, "bundle");
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->identity.alt_names, identity->alt_names);
  EXPECT_EQ(verified->identity.subject, identity->subject);
}

TEST(CertificateIdentity, ReadsBothFormsOfTheOidcIssuerExtension) {
  TestCertificateAuthority ca;
  // Fulcio's current form: a DER UTF8String inside the extension.
  auto v2 = ReadCertificateIdentity(
      ca.Issue("/CN=a", std::string(kCodeSigning) +
                            "1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:https://idp.example\n"),
      "v2");
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_EQ(v2->oidc_issuer, "https://idp.example");
  // The deprecated form: the issuer's bytes as they are.
  auto v1 = ReadCertificateIdentity(
      ca.Issue("/CN=b", std::string(kCodeSigning) +
                            "1.3.6.1.4.1.57264.1.1=DER:68747470733a2f2f6f6c642e6578616d706c65\n"),
      "v1");
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(v1->oidc_issuer, "https://old.example");
}

TEST(CertificateIdentity, MalformedIdentitiesAreRefusedNamingTheSource) {
  TestCertificateAuthority ca;
  auto wrong_type = ReadCertificateIdentity(
      ca.Issue("/CN=c", std::string(kCodeSigning) + "1.3.6.1.4.1.57264.1.8=ASN1:INTEGER:5\n"),
      "bundle");
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_EQ(wrong_type.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong_type.status().message().find("bundle: the signing certificate's OIDC issuer"),
            std::string::npos)
      << wrong_type.status().ToString();

  // "ceo@bank.example\0.evil.example": a NUL that would make the name read
  // as someone else's. Planted by editing the DER (the signature no longer
  // matters here: identities are read, not trusted, by this function).
  std::string der = ca.Issue(
      "/CN=d", std::string(kCodeSigning) + "subjectAltName=email:ceo@bank.exampleZ.evil.example\n");
  const size_t at = der.find("ceo@bank.exampleZ");
  ASSERT_NE(at, std::string::npos);
  der[at + 16] = '\0';
  auto nul = ReadCertificateIdentity(der, "bundle");
  ASSERT_FALSE(nul.ok());
  EXPECT_NE(nul.status().message().find("contains a NUL byte"), std::string::npos)
      << nul.status().ToString();

  // Bytes after the certificate would ride along unsigned.
  const std::string good = ca.Issue("/CN=e", kCodeSigning);
  EXPECT_TRUE(ReadCertificateIdentity(good, "bundle").ok());
  auto trailing = ReadCertificateIdentity(good + "x", "bundle");
  EXPECT_NE(trailing.status().message().find("not one DER X.509 certificate"), std::string::npos)
      << trailing.status().ToString();

  auto garbage = ReadCertificateIdentity("not a certificate", "bundle");
  EXPECT_EQ(garbage.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(garbage.status().message().find("not one DER X.509"), std::string::npos);
}

TEST(CertificateIdentity, DescribeEscapesControlCharacters) {
  CertificateIdentity id;
  id.alt_names = {"email:a@b.c\n\x1b[31mok"};
  id.issuer = "CN=ca";
  EXPECT_EQ(id.Describe(), "email:a@b.c\\x0a\\x1b[31mok, issued by CN=ca");
}

}  // namespace
}  // namespace citadel::crypto
