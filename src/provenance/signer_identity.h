// Which certificate identities may sign: rules in the manner of cosign's
// --certificate-identity / --certificate-identity-regexp /
// --certificate-oidc-issuer. A certificate chain that verifies to a trusted
// CA proves only that the CA issued it; with a CA that issues to a whole
// organisation (or with Sigstore's public Fulcio), these rules say who.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "base/status.h"
#include "crypto/certificate_identity.h"

namespace citadel::provenance {

class SignerIdentityRule {
 public:
  // Exactly `identity`: one of the certificate's subjectAltName values
  // (email, URI, DNS, without the type) or its RFC 2253 subject.
  static SignerIdentityRule Exact(std::string identity, std::string oidc_issuer = "");
  // `pattern` (ECMAScript) matching the whole of one of those names.
  // InvalidArgument when it does not compile.
  static Result<SignerIdentityRule> Regexp(std::string pattern, std::string oidc_issuer = "");

  // Whether the certificate's identity passes: a name matches and, when
  // the rule names an OIDC issuer, the certificate records that one.
  bool Matches(const crypto::CertificateIdentity& identity) const;
  // "identity 'x'" / "identity matching 'p'", with " from OIDC issuer 'i'".
  std::string Describe() const;

 private:
  std::string identity_;                       // exact, or the pattern's text
  std::shared_ptr<const std::regex> pattern_;  // set for a regexp rule
  std::string oidc_issuer_;
};

// OK when `rules` is empty (any certificate the trusted CAs issued) or one
// of them matches; otherwise PermissionDenied naming the certificate's
// identity and the trusted ones.
Status CheckSignerIdentity(const crypto::CertificateIdentity& identity,
                           const std::vector<SignerIdentityRule>& rules);

}  // namespace citadel::provenance
