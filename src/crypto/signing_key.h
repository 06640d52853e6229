// Signing keys through OpenSSL: ECDSA P-256 (with SHA-256), ECDSA P-384
// (SHA-384) and Ed25519 — the algorithms of Sigstore bundles and OpenSSF
// model signing. Keys are read and written as PEM (PKCS #8 private keys,
// SubjectPublicKeyInfo public keys); ECDSA signatures are DER.
//
// Immutable after construction; safe to share between threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "crypto/certificate_identity.h"

namespace citadel::crypto {

enum class KeyAlgorithm { kEcdsaP256, kEcdsaP384, kEd25519 };

// "ecdsa-p256", "ecdsa-p384", "ed25519" (the CLI's names), and back.
std::string_view KeyAlgorithmName(KeyAlgorithm algorithm);
Result<KeyAlgorithm> KeyAlgorithmFromName(std::string_view name);

struct KeyHandle;  // the EVP_PKEY, shared

class PublicKey {
 public:
  // The first PEM public key block in `pem` (text before it is skipped).
  // InvalidArgument naming `source` when there is none or it is not an
  // ECDSA P-256 / P-384 or Ed25519 key.
  static Result<PublicKey> FromPem(std::string_view pem, std::string_view source);

  KeyAlgorithm algorithm() const { return algorithm_; }
  std::string ToPem() const;
  // OK, or PermissionDenied when `signature` is not this key's over `message`.
  Status Verify(std::string_view message, std::string_view signature) const;

 private:
  friend class PrivateKey;
  friend Result<PublicKey> SigningCertificateKey(std::string_view, std::string_view);
  PublicKey(std::shared_ptr<KeyHandle> key, KeyAlgorithm algorithm)
      : key_(std::move(key)), algorithm_(algorithm) {}
  std::shared_ptr<KeyHandle> key_;
  KeyAlgorithm algorithm_;
};

class PrivateKey {
 public:
  static Result<PrivateKey> Generate(KeyAlgorithm algorithm);
  static Result<PrivateKey> FromPem(std::string_view pem, std::string_view source);

  KeyAlgorithm algorithm() const { return algorithm_; }
  std::string ToPem() const;  // unencrypted PKCS #8
  PublicKey Public() const;
  Result<std::string> Sign(std::string_view message) const;

 private:
  PrivateKey(std::shared_ptr<KeyHandle> key, KeyAlgorithm algorithm)
      : key_(std::move(key)), algorithm_(algorithm) {}
  std::shared_ptr<KeyHandle> key_;
  KeyAlgorithm algorithm_;
};

struct VerifiedCertificate {
  PublicKey key;                 // the signing certificate's
  CertificateIdentity identity;  // whom it was issued to
};

// Verifies `chain` (DER certificates, the signing certificate first, then
// any intermediates) up to one of `roots` (DER CA certificates, as
// ReadPemCertificates gives them) and returns the signing certificate's
// public key and identity. PermissionDenied saying why the
// chain fails. Whether the identity is a trusted one is the caller's policy.
Result<VerifiedCertificate> VerifyCertificateChain(const std::vector<std::string>& chain,
                                                   const std::vector<std::string>& roots,
                                                   std::string_view source);

// The public key of the DER certificate `der`, once it is seen to be issued
// for code signing (extended key usage codeSigning; key usage, if
// restricted, allowing digital signatures). PermissionDenied otherwise;
// InvalidArgument for bytes that are not a certificate. Trust is the
// chain's business (VerifyCertificateChain).
Result<PublicKey> SigningCertificateKey(std::string_view der, std::string_view source);

// The DER bytes of every certificate in PEM text `pem`, in order.
// InvalidArgument naming `source` when it holds none.
Result<std::vector<std::string>> ReadPemCertificates(std::string_view pem, std::string_view source);

// The OpenSSL library this process runs with ("OpenSSL 3.0.x …"), for
// environments and bills of materials.
std::string OpenSslVersion();

}  // namespace citadel::crypto
