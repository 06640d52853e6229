#include "crypto/signing_key.h"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "crypto/x509_der.h"

namespace citadel::crypto {

struct KeyHandle {
  explicit KeyHandle(EVP_PKEY* k) : pkey(k) {}
  ~KeyHandle() { EVP_PKEY_free(pkey); }
  KeyHandle(const KeyHandle&) = delete;
  KeyHandle& operator=(const KeyHandle&) = delete;
  EVP_PKEY* pkey;
};

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct StoreFree {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
struct StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

// The queued OpenSSL errors as one line (and the queue cleared).
std::string OpenSslError() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    out += out.empty() ? buf : std::string("; ") + buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

Bio ReadBio(std::string_view bytes) {
  return Bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

Result<KeyAlgorithm> AlgorithmOf(EVP_PKEY* key, std::string_view source) {
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) return KeyAlgorithm::kEd25519;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       &len) == 1) {
      const std::string_view name(group, len);
      if (name == "prime256v1" || name == "P-256") return KeyAlgorithm::kEcdsaP256;
      if (name == "secp384r1" || name == "P-384") return KeyAlgorithm::kEcdsaP384;
      return InvalidArgumentError(fmt::format(
          "{}: EC curve {} is not supported; use P-256 or P-384 (or Ed25519)", source, name));
    }
  }
  return InvalidArgumentError(
      fmt::format("{}: only ECDSA P-256 / P-384 and Ed25519 keys are supported", source));
}

// ECDSA hashes with the digest its curve size calls for; Ed25519 hashes
// internally.
const EVP_MD* DigestFor(KeyAlgorithm algorithm) {
  switch (algorithm) {
    case KeyAlgorithm::kEcdsaP256:
      return EVP_sha256();
    case KeyAlgorithm::kEcdsaP384:
      return EVP_sha384();
    case KeyAlgorithm::kEd25519:
      break;
  }
  return nullptr;
}

}  // namespace

std::string_view KeyAlgorithmName(KeyAlgorithm algorithm) {
  switch (algorithm) {
    case KeyAlgorithm::kEcdsaP256:
      return "ecdsa-p256";
    case KeyAlgorithm::kEcdsaP384:
      return "ecdsa-p384";
    case KeyAlgorithm::kEd25519:
      break;
  }
  return "ed25519";
}

Result<KeyAlgorithm> KeyAlgorithmFromName(std::string_view name) {
  for (KeyAlgorithm a :
       {KeyAlgorithm::kEcdsaP256, KeyAlgorithm::kEcdsaP384, KeyAlgorithm::kEd25519}) {
    if (KeyAlgorithmName(a) == name) return a;
  }
  return InvalidArgumentError(
      fmt::format("unknown key algorithm '{}' (supported: ecdsa-p256, ecdsa-p384, ed25519)", name));
}

Result<PublicKey> PublicKey::FromPem(std::string_view pem, std::string_view source) {
  const size_t begin = pem.find("-----BEGIN PUBLIC KEY-----");
  if (begin == std::string_view::npos) {
    return InvalidArgumentError(
        fmt::format("{}: no PEM public key (-----BEGIN PUBLIC KEY-----)", source));
  }
  Bio bio = ReadBio(pem.substr(begin));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) {
    return InvalidArgumentError(
        fmt::format("{}: unreadable public key: {}", source, OpenSslError()));
  }
  auto handle = std::make_shared<KeyHandle>(key);
  ASSIGN_OR_RETURN(KeyAlgorithm algorithm, AlgorithmOf(key, source));
  return PublicKey(std::move(handle), algorithm);
}

std::string PublicKey::ToPem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key_->pkey);
  return BioText(bio.get());
}

Status PublicKey::Verify(std::string_view message, std::string_view signature) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, DigestFor(algorithm_), nullptr, key_->pkey) != 1) {
    return InternalError("EVP_DigestVerifyInit: " + OpenSslError());
  }
  const int ok = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(message.data()), message.size());
  ERR_clear_error();
  if (ok != 1) {
    return PermissionDeniedError(fmt::format("the {} signature does not verify with this key",
                                             KeyAlgorithmName(algorithm_)));
  }
  return Status::Ok();
}

Result<PrivateKey> PrivateKey::Generate(KeyAlgorithm algorithm) {
  EVP_PKEY* key = nullptr;
  switch (algorithm) {
    case KeyAlgorithm::kEcdsaP256:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyAlgorithm::kEcdsaP384:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case KeyAlgorithm::kEd25519:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (key == nullptr) return InternalError("generating a key: " + OpenSslError());
  return PrivateKey(std::make_shared<KeyHandle>(key), algorithm);
}

Result<PrivateKey> PrivateKey::FromPem(std::string_view pem, std::string_view source) {
  Bio bio = ReadBio(pem);
  // A null passphrase callback: an encrypted key fails instead of prompting.
  EVP_PKEY* key = PEM_read_bio_PrivateKey(
      bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr);
  if (key == nullptr) {
    return InvalidArgumentError(fmt::format(
        "{}: not an unencrypted PEM private key ({}); create one with `citadel keys generate`",
        source, OpenSslError()));
  }
  auto handle = std::make_shared<KeyHandle>(key);
  ASSIGN_OR_RETURN(KeyAlgorithm algorithm, AlgorithmOf(key, source));
  return PrivateKey(std::move(handle), algorithm);
}

std::string PrivateKey::ToPem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key_->pkey, nullptr, nullptr, 0, nullptr, nullptr);
  return BioText(bio.get());
}

PublicKey PrivateKey::Public() const { return PublicKey(key_, algorithm_); }

Result<std::string> PrivateKey::Sign(std::string_view message) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (EVP_DigestSignInit(ctx.get(), nullptr, DigestFor(algorithm_), nullptr, key_->pkey) != 1) {
    return InternalError("EVP_DigestSignInit: " + OpenSslError());
  }
  const auto* data = reinterpret_cast<const unsigned char*>(message.data());
  size_t size = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &size, data, message.size()) != 1) {
    return InternalError("EVP_DigestSign: " + OpenSslError());
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, data,
                     message.size()) != 1) {
    return InternalError("EVP_DigestSign: " + OpenSslError());
  }
  signature.resize(size);
  return signature;
}

Result<VerifiedCertificate> VerifyCertificateChain(const std::vector<std::string>& chain,
                                                   const std::vector<std::string>& roots,
                                                   std::string_view source) {
  using internal::ParseDerCertificate;
  using internal::X509Ptr;
  if (chain.empty()) {
    return InvalidArgumentError(fmt::format("{}: the certificate chain is empty", source));
  }
  if (roots.empty()) {
    return InvalidArgumentError(fmt::format(
        "{}: no trusted CA certificate was given (PEM files with the root CA)", source));
  }
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  if (!store) return InternalError("X509_STORE_new: " + OpenSslError());
  for (size_t i = 0; i < roots.size(); ++i) {
    X509Ptr root = ParseDerCertificate(roots[i]);
    if (!root) {
      return InvalidArgumentError(fmt::format(
          "{}: trusted CA certificate {} is not one DER X.509 certificate", source, i + 1));
    }
    if (X509_STORE_add_cert(store.get(), root.get()) != 1) {
      return InternalError("X509_STORE_add_cert: " + OpenSslError());
    }
  }
  std::vector<X509Ptr> certs;
  for (const std::string& der : chain) {
    X509Ptr cert = ParseDerCertificate(der);
    if (!cert) {
      return InvalidArgumentError(
          fmt::format("{}: certificate {} of the chain is not one DER X.509 certificate", source,
                      certs.size()));
    }
    certs.push_back(std::move(cert));
  }
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (!untrusted || !ctx) return InternalError("allocating a certificate store: " + OpenSslError());
  for (size_t i = 1; i < certs.size(); ++i) {
    X509_up_ref(certs[i].get());
    if (sk_X509_push(untrusted.get(), certs[i].get()) <= 0) {
      X509_free(certs[i].get());
      return InternalError("building the certificate chain: " + OpenSslError());
    }
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), certs[0].get(), untrusted.get()) != 1) {
    return InternalError("X509_STORE_CTX_init: " + OpenSslError());
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return PermissionDeniedError(
        fmt::format("{}: the signing certificate does not chain to a trusted CA: {}", source,
                    X509_verify_cert_error_string(error)));
  }
  ASSIGN_OR_RETURN(PublicKey key, SigningCertificateKey(chain[0], source));
  ASSIGN_OR_RETURN(CertificateIdentity identity, ReadCertificateIdentity(chain[0], source));
  return VerifiedCertificate{std::move(key), std::move(identity)};
}

Result<PublicKey> SigningCertificateKey(std::string_view der, std::string_view source) {
  internal::X509Ptr leaf = internal::ParseDerCertificate(der);
  if (!leaf) {
    return InvalidArgumentError(
        fmt::format("{}: the signing certificate is not one DER X.509 certificate", source));
  }
  // A certificate that chains to a trusted CA may still have been issued
  // for something else (a TLS server): it signs models only when it says
  // so, with the code-signing extended key usage, and, if it restricts its
  // key usage, digital signatures among them.
  const uint32_t flags = X509_get_extension_flags(leaf.get());
  if (!(flags & EXFLAG_XKUSAGE) || !(X509_get_extended_key_usage(leaf.get()) & XKU_CODE_SIGN)) {
    return PermissionDeniedError(fmt::format(
        "{}: the signing certificate is not issued for code signing (no codeSigning extended "
        "key usage)",
        source));
  }
  if ((flags & EXFLAG_KUSAGE) && !(X509_get_key_usage(leaf.get()) & KU_DIGITAL_SIGNATURE)) {
    return PermissionDeniedError(fmt::format(
        "{}: the signing certificate's key usage does not allow digital signatures", source));
  }
  EVP_PKEY* key = X509_get_pubkey(leaf.get());
  if (key == nullptr) {
    return InvalidArgumentError(
        fmt::format("{}: the signing certificate has no public key", source));
  }
  auto handle = std::make_shared<KeyHandle>(key);
  ASSIGN_OR_RETURN(KeyAlgorithm algorithm, AlgorithmOf(key, source));
  return PublicKey(std::move(handle), algorithm);
}

Result<std::vector<std::string>> ReadPemCertificates(std::string_view pem,
                                                     std::string_view source) {
  std::vector<std::string> ders;
  Bio bio = ReadBio(pem);
  ERR_clear_error();
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    internal::X509Ptr owned(cert);
    unsigned char* der = nullptr;
    const int size = i2d_X509(cert, &der);
    if (size <= 0) return InternalError(fmt::format("{}: re-encoding a certificate", source));
    ders.emplace_back(reinterpret_cast<const char*>(der), static_cast<size_t>(size));
    OPENSSL_free(der);
  }
  // The end of the PEM data reads as "no start line"; anything else is a
  // block that is there but broken, which must not silently drop the
  // certificates after it.
  const unsigned long last = ERR_peek_last_error();
  if (last != 0 &&
      !(ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE)) {
    return InvalidArgumentError(fmt::format("{}: certificate {} is unreadable: {}", source,
                                            ders.size() + 1, OpenSslError()));
  }
  ERR_clear_error();
  if (ders.empty()) {
    return InvalidArgumentError(
        fmt::format("{}: no PEM certificate (-----BEGIN CERTIFICATE-----)", source));
  }
  return ders;
}

std::string OpenSslVersion() { return OpenSSL_version(OPENSSL_VERSION); }

}  // namespace citadel::crypto
