// Who an X.509 signing certificate was issued to: the names a verifier
// matches against its trusted identities (as cosign's
// --certificate-identity / --certificate-oidc-issuer do for Sigstore).
//
// A chain that verifies to a trusted CA proves only that the CA issued the
// certificate; with a CA that issues to many people or build systems, the
// identity is what says *who* signed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace citadel::crypto {

struct CertificateIdentity {
  std::string subject;  // RFC 2253 ("CN=release-bot,O=Acme"); empty when the subject is empty
  std::string issuer;   // RFC 2253
  // subjectAltName values in certificate order, typed as OpenSSL prints
  // them: "email:a@b.c", "URI:https://…", "DNS:host".
  std::vector<std::string> alt_names;
  // The OIDC issuer a Sigstore (Fulcio) certificate records in extension
  // 1.3.6.1.4.1.57264.1.8 (or the older raw 1.3.6.1.4.1.57264.1.1); empty
  // when there is none.
  std::string oidc_issuer;

  // "email:a@b.c (OIDC issuer https://…), issued by CN=ca" — for signer
  // lines and refusals; control characters escaped as \xNN.
  std::string Describe() const;
};

// The identity of the DER certificate `der`. InvalidArgument naming
// `source` when it is not exactly one DER X.509 certificate (trailing bytes
// included) or an identity extension is malformed.
//
// Only names are read here; trust is VerifyCertificateChain's, at the
// current time. Short-lived Sigstore (Fulcio) certificates expire minutes
// after signing and need a verified transparency-log time to check against,
// which Citadel does not do: it verifies certificates from CAs whose
// certificates outlive the signatures (an organisation's code-signing CA).
Result<CertificateIdentity> ReadCertificateIdentity(std::string_view der, std::string_view source);

}  // namespace citadel::crypto
