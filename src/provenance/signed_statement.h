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

namespace citadel::provenance {

inline constexpr std::string_view kStatementType = "https://in-toto.io/Statement/v1";
inline constexpr std::string_view kInTotoPayloadType = "application/vnd.in-toto+json";
inline constexpr std::string_view kBundleMediaType =
    "application/vnd.dev.sigstore.bundle.v0.3+json";

// Who may have signed: public keys (a bundle names its key by hint, the
// SHA-256 of the key's PEM, and the matching key is used), or CA
// certificates for certificate-chain bundles.
struct TrustAnchors {
  std::vector<crypto::PublicKey> keys;
  std::vector<std::string> ca_pem;  // PEM files' contents

  bool empty() const { return keys.empty() && ca_pem.empty(); }
};

// The hint a bundle names `key` by.
std::string KeyHint(const crypto::PublicKey& key);

// The bundle (JSON) whose envelope carries `statement`, signed with `key`.
Result<Json> SignStatement(const Json& statement, const crypto::PrivateKey& key);

struct OpenedStatement {
  std::string signer;  // "key sha256:HINT" or the certificate chain's verdict
  Json statement;      // the in-toto Statement, `_type` checked
};

// Checks `bundle_text`: its media type, the envelope, the signature against
// the anchors, and that the payload is an in-toto Statement v1. The
// predicate is the caller's to check. Errors: InvalidArgument for a
// malformed bundle or missing anchors; PermissionDenied for a signature that
// does not verify or a key that is not trusted.
Result<OpenedStatement> OpenSignedStatement(std::string_view bundle_text,
                                            const TrustAnchors& anchors);

}  // namespace citadel::provenance
