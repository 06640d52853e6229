#include "crypto/signing_key.h"

#include <gtest/gtest.h>

#include "base/system/files.h"
#include "crypto/test_certificates.h"

namespace citadel::crypto {
namespace {

class EveryAlgorithm : public ::testing::TestWithParam<KeyAlgorithm> {};

TEST_P(EveryAlgorithm, SignsVerifiesAndRoundTripsThroughPem) {
  auto key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  auto signature = key->Sign("the statement");
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE(key->Public().Verify("the statement", *signature).ok());
  EXPECT_EQ(key->Public().Verify("another statement", *signature).code(),
            StatusCode::kPermissionDenied);

  auto reloaded = PrivateKey::FromPem(key->ToPem(), "key.pem");
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
  EXPECT_EQ(reloaded->algorithm(), GetParam());
  auto pub = PublicKey::FromPem("comment before the block\n" + key->Public().ToPem(), "pub.pem");
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  EXPECT_EQ(pub->ToPem(), key->Public().ToPem());
  auto again = reloaded->Sign("the statement");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(pub->Verify("the statement", *again).ok());

  auto other = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->Public().Verify("the statement", *signature).ok());
}

INSTANTIATE_TEST_SUITE_P(Keys, EveryAlgorithm,
                         ::testing::Values(KeyAlgorithm::kEcdsaP256, KeyAlgorithm::kEcdsaP384,
                                           KeyAlgorithm::kEd25519));

TEST(SigningKey, ReadsTheOpenSsfReferenceKeyAndRefusesOtherInput) {
  auto pem = ReadFile("../shared/testdata/oms/keys/signing-key-pub.pem");
  ASSERT_TRUE(pem.ok()) << pem.status().ToString();
  auto key = PublicKey::FromPem(*pem, "signing-key-pub.pem");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->algorithm(), KeyAlgorithm::kEcdsaP384);

  EXPECT_NE(PublicKey::FromPem("no key here", "x.pem").status().message().find("no PEM public key"),
            std::string::npos);
  EXPECT_FALSE(PrivateKey::FromPem(*pem, "pub-as-private.pem").ok());
  EXPECT_EQ(KeyAlgorithmFromName("rsa").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*KeyAlgorithmFromName("ed25519"), KeyAlgorithm::kEd25519);
}

// Chains that verify are tested with the OpenSSF certificate bundles
// (provenance/model_signature_test.cc); here, the inputs that cannot.
TEST(SigningKey, CertificateChainInputsThatCannotVerifyAreNamed) {
  auto pem = ReadFile("../shared/testdata/oms/keys/ca-cert.pem");
  ASSERT_TRUE(pem.ok()) << pem.status().ToString();
  auto roots = ReadPemCertificates(*pem, "ca-cert.pem");
  ASSERT_TRUE(roots.ok()) << roots.status().ToString();
  const std::string root = roots->front();
  auto empty = VerifyCertificateChain({}, {root}, "bundle");
  EXPECT_NE(empty.status().message().find("chain is empty"), std::string::npos);
  auto garbage = VerifyCertificateChain({"not der"}, {root}, "bundle");
  EXPECT_NE(garbage.status().message().find(
                "certificate 0 of the chain is not one DER X.509 certificate"),
            std::string::npos);
  auto no_roots = VerifyCertificateChain({"x"}, {}, "bundle");
  EXPECT_NE(no_roots.status().message().find("no trusted CA certificate"), std::string::npos);
  auto bad_root = VerifyCertificateChain({"x"}, {"no certificates"}, "bundle");
  EXPECT_NE(
      bad_root.status().message().find("trusted CA certificate 1 is not one DER X.509 certificate"),
      std::string::npos)
      << bad_root.status().ToString();
  auto no_pem = ReadPemCertificates("no certificates", "roots.pem");
  EXPECT_NE(no_pem.status().message().find("roots.pem: no PEM certificate"), std::string::npos)
      << no_pem.status().ToString();
}

// A leaf certificate chaining to the trusted CA is refused unless it is
// issued for code signing.
TEST(SigningKey, OnlyACodeSigningCertificateSigns) {
  TestCertificateAuthority authority;
  auto leaf = [&](const std::string& name, const std::string& extensions) {
    return authority.Issue("/CN=" + name, extensions);
  };
  const std::string ca = authority.ca_der();
  const std::string signer =
      leaf("signer", "keyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n");
  const std::string server = leaf("server", "extendedKeyUsage=serverAuth\n");
  const std::string no_eku = leaf("plain", "basicConstraints=CA:FALSE\n");
  const std::string wrong_ku =
      leaf("enc", "keyUsage=critical,keyEncipherment\nextendedKeyUsage=codeSigning\n");

  EXPECT_TRUE(VerifyCertificateChain({signer}, {ca}, "bundle").ok());
  for (const std::string* refused : {&server, &no_eku}) {
    auto r = VerifyCertificateChain({*refused}, {ca}, "bundle");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
    EXPECT_NE(r.status().message().find("not issued for code signing"), std::string::npos)
        << r.status().ToString();
  }
  auto ku = VerifyCertificateChain({wrong_ku}, {ca}, "bundle");
  ASSERT_FALSE(ku.ok());
  EXPECT_NE(ku.status().message().find("does not allow digital signatures"), std::string::npos);
}

}  // namespace
}  // namespace citadel::crypto
