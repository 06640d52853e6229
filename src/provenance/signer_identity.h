// Which certificate identities may sign: rules in the manner of cosign's
// --certificate-identity / --certificate-identity-regexp /
// --certificate-oidc-issuer. A certificate chain that verifies to a trusted
// CA proves only that the CA issued it; with a CA that issues to a whole
// organisation, these rules say who.
//
// A rule names a subjectAltName value, of any type ("ml@acme.example",
// "https://ci.acme.example/pipelines/7") or of one type when prefixed
// ("email:…", "uri:…", "dns:…"); the subject DN only when prefixed
// "subject:" ("subject:CN=release,O=Acme"). The subject is never matched
// by accident: many CAs check the alternative names they certify but copy
// the subject from the request.
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
  // Exactly `identity` (after its type prefix, if any).
  static SignerIdentityRule Exact(std::string identity, std::string oidc_issuer = "");
  // `pattern` (ECMAScript, after its type prefix, if any) matching the whole
  // of a name. InvalidArgument when it does not compile.
  static Result<SignerIdentityRule> Regexp(std::string pattern, std::string oidc_issuer = "");

  // Whether the certificate's identity passes: a name of the rule's type
  // matches and, when the rule names an OIDC issuer, the certificate
  // records that one.
  bool Matches(const crypto::CertificateIdentity& identity) const;
  // "identity 'x'" / "identity matching 'p'", with " from OIDC issuer 'i'".
  std::string Describe() const;

 private:
  bool MatchesName(const std::string& name) const;

  std::string text_;      // as given, prefix included, for Describe
  std::string type_;      // "email", "uri", "dns", "subject", or "" (any alternative name)
  std::string identity_;  // exact, or the pattern's text
  std::shared_ptr<const std::regex> pattern_;  // set for a regexp rule
  std::string oidc_issuer_;
};

// OK when `rules` is empty (any certificate the trusted CAs issued) or one
// of them matches; otherwise PermissionDenied naming the certificate's
// identity and the trusted ones.
Status CheckSignerIdentity(const crypto::CertificateIdentity& identity,
                           const std::vector<SignerIdentityRule>& rules);

}  // namespace citadel::provenance
