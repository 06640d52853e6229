// Signed in-toto statements: an in-toto Statement v1 (JSON) inside a DSSE
// envelope inside a Sigstore bundle v0.3 — the wrapping that OpenSSF model
// signatures and Citadel's run attestations (SLSA provenance) share. The
// signature covers DSSE's pre-authentication encoding of the payload, so
// the statement's bytes are exactly what was signed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "crypto/signing_key.h"
#include "provenance/signer_identity.h"

namespace citadel::provenance {

inline constexpr std::string_view kStatementType = "https://in-toto.io/Statement/v1";
inline constexpr std::string_view kInTotoPayloadType = "application/vnd.in-toto+json";
inline constexpr std::string_view kBundleMediaType =
    "application/vnd.dev.sigstore.bundle.v0.3+json";

// Who may have signed: public keys (a bundle names its key by hint, the
// SHA-256 of the key's PEM, and the matching key is used), or CA
// certificates for certificate-chain bundles, whose signing certificate
// must then match one of `identities` when any are given.
struct TrustAnchors {
  std::vector<crypto::PublicKey> keys;
  // Trusted CA certificates, DER (crypto::ReadPemCertificates of the PEM
  // files, read and checked once when the anchors are gathered).
  std::vector<std::string> roots;
  std::vector<SignerIdentityRule> identities;

  bool empty() const { return keys.empty() && roots.empty(); }
};

// The hint a bundle names `key` by.
std::string KeyHint(const crypto::PublicKey& key);

// What signs a bundle: a key, and optionally the X.509 chain (signing
// certificate first, then intermediates) that names its holder. A
// key-based bundle names its key by hint; a certificate-based one carries
// the chain, and verifiers trust the chain's root and the certificate's
// identity instead of a key they were handed.
class BundleSigner {
 public:
  BundleSigner(crypto::PrivateKey key);  // NOLINT: a bare key signs key-based bundles
  // InvalidArgument naming `source` when the chain is empty or its first
  // certificate holds another key than `key`; PermissionDenied when it is
  // not issued for code signing (verifiers would refuse every bundle).
  static Result<BundleSigner> WithCertificates(crypto::PrivateKey key,
                                               std::vector<std::string> chain_der,
                                               std::string_view source);

  const crypto::PrivateKey& key() const { return key_; }
  const std::vector<std::string>& certificate_chain() const { return chain_; }
  // "key sha256:HINT" or "certificate NAMES, issued by CA": what verifying
  // the bundle will report.
  const std::string& Describe() const { return description_; }

 private:
  crypto::PrivateKey key_;
  std::vector<std::string> chain_;  // DER
  std::string description_;
};

// The bundle (JSON) whose envelope carries `statement`, signed by `signer`.
Result<Json> SignStatement(const Json& statement, const BundleSigner& signer);

struct OpenedStatement {
  // "key sha256:HINT", or "certificate email:x (OIDC issuer …), issued by CN=ca"
  std::string signer;
  Json statement;  // the in-toto Statement, `_type` checked
};

// Checks `bundle_text`: its media type, the envelope, the signature against
// the anchors, and that the payload is an in-toto Statement v1. The
// predicate is the caller's to check. Errors: InvalidArgument for a
// malformed bundle or missing anchors; PermissionDenied for a signature that
// does not verify or a key that is not trusted.
Result<OpenedStatement> OpenSignedStatement(std::string_view bundle_text,
                                            const TrustAnchors& anchors);

}  // namespace citadel::provenance
