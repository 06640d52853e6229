#include "provenance/signer_identity.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace citadel::provenance {

SignerIdentityRule SignerIdentityRule::Exact(std::string identity, std::string oidc_issuer) {
  SignerIdentityRule rule;
  rule.identity_ = std::move(identity);
  rule.oidc_issuer_ = std::move(oidc_issuer);
  return rule;
}

Result<SignerIdentityRule> SignerIdentityRule::Regexp(std::string pattern,
                                                      std::string oidc_issuer) {
  SignerIdentityRule rule;
  try {
    rule.pattern_ = std::make_shared<const std::regex>(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return InvalidArgumentError(fmt::format(
        "identity pattern '{}' is not a valid regular expression: {}", pattern, e.what()));
  }
  rule.identity_ = std::move(pattern);
  rule.oidc_issuer_ = std::move(oidc_issuer);
  return rule;
}

bool SignerIdentityRule::Matches(const crypto::CertificateIdentity& identity) const {
  if (!oidc_issuer_.empty() && identity.oidc_issuer != oidc_issuer_) return false;
  for (const std::string& name : identity.MatchableNames()) {
    if (pattern_ ? std::regex_match(name, *pattern_) : name == identity_) return true;
  }
  return false;
}

std::string SignerIdentityRule::Describe() const {
  std::string text = pattern_ ? fmt::format("identity matching '{}'", identity_)
                              : fmt::format("identity '{}'", identity_);
  if (!oidc_issuer_.empty()) text += fmt::format(" from OIDC issuer '{}'", oidc_issuer_);
  return text;
}

Status CheckSignerIdentity(const crypto::CertificateIdentity& identity,
                           const std::vector<SignerIdentityRule>& rules) {
  if (rules.empty()) return Status::Ok();
  std::vector<std::string> trusted;
  for (const SignerIdentityRule& rule : rules) {
    if (rule.Matches(identity)) return Status::Ok();
    trusted.push_back(rule.Describe());
  }
  return PermissionDeniedError(fmt::format(
      "the signing certificate was issued to {}, which is not a trusted signer identity "
      "(trusted: {})",
      identity.Describe(), fmt::join(trusted, "; ")));
}

}  // namespace citadel::provenance
