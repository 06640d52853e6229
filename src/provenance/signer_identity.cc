#include "provenance/signer_identity.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>

namespace citadel::provenance {
namespace {

// libstdc++'s regex matcher recurses per character: a name this long (no
// real identity is) is not matched, rather than risking the stack.
constexpr size_t kMaxMatchedName = 4096;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Splits "email:x" into {"email", "x"}; a text without a known prefix is
// untyped. URIs ("https://…") do not start with a known prefix.
std::pair<std::string, std::string> SplitType(const std::string& text) {
  static constexpr std::array<std::string_view, 4> kTypes = {"email", "uri", "dns", "subject"};
  const size_t colon = text.find(':');
  if (colon != std::string::npos) {
    const std::string type = Lower(std::string_view(text).substr(0, colon));
    for (std::string_view known : kTypes) {
      if (type == known) return {type, text.substr(colon + 1)};
    }
  }
  return {"", text};
}

}  // namespace

SignerIdentityRule SignerIdentityRule::Exact(std::string identity, std::string oidc_issuer) {
  SignerIdentityRule rule;
  std::tie(rule.type_, rule.identity_) = SplitType(identity);
  rule.text_ = std::move(identity);
  rule.oidc_issuer_ = std::move(oidc_issuer);
  return rule;
}

Result<SignerIdentityRule> SignerIdentityRule::Regexp(std::string pattern,
                                                      std::string oidc_issuer) {
  SignerIdentityRule rule;
  std::tie(rule.type_, rule.identity_) = SplitType(pattern);
  try {
    rule.pattern_ = std::make_shared<const std::regex>(rule.identity_, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return InvalidArgumentError(fmt::format(
        "identity pattern '{}' is not a valid regular expression: {}", pattern, e.what()));
  }
  rule.text_ = std::move(pattern);
  rule.oidc_issuer_ = std::move(oidc_issuer);
  return rule;
}

bool SignerIdentityRule::MatchesName(const std::string& name) const {
  if (!pattern_) return name == identity_;
  return name.size() <= kMaxMatchedName && std::regex_match(name, *pattern_);
}

bool SignerIdentityRule::Matches(const crypto::CertificateIdentity& identity) const {
  if (!oidc_issuer_.empty() && identity.oidc_issuer != oidc_issuer_) return false;
  if (type_ == "subject") return !identity.subject.empty() && MatchesName(identity.subject);
  for (const std::string& typed : identity.alt_names) {
    const size_t colon = typed.find(':');
    if (!type_.empty() && Lower(std::string_view(typed).substr(0, colon)) != type_) continue;
    if (MatchesName(typed.substr(colon + 1))) return true;
  }
  return false;
}

std::string SignerIdentityRule::Describe() const {
  std::string text =
      pattern_ ? fmt::format("identity matching '{}'", text_) : fmt::format("identity '{}'", text_);
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
