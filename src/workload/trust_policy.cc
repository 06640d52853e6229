#include "workload/trust_policy.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>

#include "base/system/files.h"
#include "base/text/spec_reader.h"
#include "base/text/yaml.h"
#include "scan/model_scanner.h"
#include "workload/artifact_signing.h"
#include "workload/provenance_chain.h"

namespace citadel::workload {
namespace {

constexpr std::array<std::string_view, 3> kChecks = {"provenance", "scan", "signature"};
// The artifact kinds a policy may require checks of.
constexpr std::array<std::string_view, 5> kKinds = {"checkpoint", "dataset", "file", "model",
                                                    "source"};

Result<std::vector<std::string>> ReadPems(const Workspace& ws, const SpecReader& policy,
                                          std::string_view key) {
  std::vector<std::string> pems;
  if (!policy.Has(key)) return pems;
  ASSIGN_OR_RETURN(std::vector<std::string> paths, policy.StringList(key));
  for (const std::string& p : paths) {
    std::filesystem::path path = p;
    if (path.is_relative()) path = ws.root() / path;
    Result<std::string> pem = ReadFile(path);
    if (!pem.ok()) return policy.FieldError(key, std::string(pem.status().message()));
    pems.push_back(std::move(*pem));
  }
  return pems;
}

// trusted_identities: [{identity: NAME | identity_regexp: RE, oidc_issuer: URL}]
Result<std::vector<provenance::SignerIdentityRule>> ReadIdentities(const SpecReader& policy) {
  std::vector<provenance::SignerIdentityRule> rules;
  if (!policy.Has("trusted_identities")) return rules;
  SpecReader list = policy.Child("trusted_identities");
  if (!list.json().is_array()) {
    return policy.FieldError("trusted_identities",
                             "expected a list of {identity | identity_regexp, oidc_issuer}");
  }
  for (size_t i = 0; i < list.Size(); ++i) {
    SpecReader entry = list.Element(i);
    RETURN_IF_ERROR(entry.ExpectObject({"identity", "identity_regexp", "oidc_issuer"}));
    if (entry.Has("identity") == entry.Has("identity_regexp")) {
      return entry.Error("give exactly one of identity (exact) and identity_regexp");
    }
    ASSIGN_OR_RETURN(std::string issuer, entry.String("oidc_issuer", ""));
    if (entry.Has("identity")) {
      ASSIGN_OR_RETURN(std::string identity, entry.String("identity"));
      rules.push_back(provenance::SignerIdentityRule::Exact(std::move(identity), issuer));
      continue;
    }
    ASSIGN_OR_RETURN(std::string pattern, entry.String("identity_regexp"));
    Result<provenance::SignerIdentityRule> rule =
        provenance::SignerIdentityRule::Regexp(std::move(pattern), issuer);
    if (!rule.ok()) return entry.FieldError("identity_regexp", rule.status().message());
    rules.push_back(std::move(*rule));
  }
  return rules;
}

Status CheckScan(Workspace& ws, const LoadedArtifact& artifact) {
  for (const auto& f : artifact.manifest.files()) {
    ASSIGN_OR_RETURN(std::string bytes, ReadArtifactFile(ws, artifact, f.path));
    const scan::FileReport report = scan::ScanBytes(bytes, f.path, {});
    if (!report.clean()) {
      const scan::Finding& first = report.findings.front();
      return FailedPreconditionError(
          fmt::format("{} has {} finding(s), the first {} {}: {}", f.path, report.findings.size(),
                      scan::SeverityName(first.severity), first.rule, first.detail));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<TrustPolicy> LoadTrustPolicy(const Workspace& ws) {
  TrustPolicy policy;
  const std::filesystem::path path = ws.root() / kTrustPolicyFile;
  if (!std::filesystem::exists(path)) return policy;
  ASSIGN_OR_RETURN(YamlDocument doc, LoadYamlFile(path));
  SpecReader root(doc, "");
  RETURN_IF_ERROR(
      root.ExpectObject({"trusted_keys", "trusted_roots", "trusted_identities", "require"}));
  ASSIGN_OR_RETURN(std::vector<std::string> keys, ReadPems(ws, root, "trusted_keys"));
  for (const std::string& pem : keys) {
    Result<crypto::PublicKey> key = crypto::PublicKey::FromPem(pem, "trusted key");
    if (!key.ok()) return root.FieldError("trusted_keys", key.status().message());
    policy.anchors.keys.push_back(*key);
  }
  ASSIGN_OR_RETURN(std::vector<std::string> root_pems, ReadPems(ws, root, "trusted_roots"));
  for (const std::string& pem : root_pems) {
    Result<std::vector<std::string>> certs = crypto::ReadPemCertificates(pem, "a trusted root");
    if (!certs.ok()) return root.FieldError("trusted_roots", certs.status().message());
    policy.anchors.roots.insert(policy.anchors.roots.end(), certs->begin(), certs->end());
  }
  ASSIGN_OR_RETURN(policy.anchors.identities, ReadIdentities(root));
  if (!policy.anchors.identities.empty() && policy.anchors.roots.empty()) {
    return root.FieldError("trusted_identities",
                           "identities are names in certificates: give trusted_roots too");
  }
  if (!root.Has("require")) return policy;
  SpecReader require = root.Child("require");
  RETURN_IF_ERROR(require.ExpectObject({"checkpoint", "dataset", "file", "model", "source"}));
  for (std::string_view kind : kKinds) {
    if (!require.Has(kind)) continue;
    ASSIGN_OR_RETURN(std::vector<std::string> checks, require.StringList(kind));
    for (const std::string& c : checks) {
      if (std::find(kChecks.begin(), kChecks.end(), c) == kChecks.end()) {
        return require.FieldError(
            kind, fmt::format("unknown check '{}' (known: {})", c, fmt::join(kChecks, ", ")));
      }
    }
    const bool wants_signature =
        std::find(checks.begin(), checks.end(), "signature") != checks.end();
    if (wants_signature && policy.anchors.empty()) {
      return require.FieldError(kind, "the signature check needs trusted_keys or trusted_roots");
    }
    policy.require[std::string(kind)] = std::move(checks);
  }
  return policy;
}

namespace {

Status FirstFailedCheck(Workspace& ws, const LoadedArtifact& artifact, const TrustPolicy& policy,
                        std::string_view skip);

// The provenance chain back to the sources, every artifact along it passing
// the checks of its own kind.
Status CheckChain(Workspace& ws, const LoadedArtifact& artifact, const TrustPolicy& policy) {
  ASSIGN_OR_RETURN(provenance::TrustAnchors anchors, WithWorkspaceKey(ws, policy.anchors));
  return VerifyProvenanceChain(ws, artifact.record.id, anchors,
                               [&](const LoadedArtifact& link) {
                                 // The artifact itself is being checked already.
                                 if (link.record.id == artifact.record.id) return Status::Ok();
                                 return FirstFailedCheck(ws, link, policy, "provenance");
                               })
      .status;
}

Status RunCheck(Workspace& ws, const LoadedArtifact& artifact, const TrustPolicy& policy,
                const std::string& check) {
  if (check == "signature") return VerifyArtifact(ws, artifact, policy.anchors).status();
  if (check == "scan") return CheckScan(ws, artifact);
  return CheckChain(ws, artifact, policy);
}

// The first of the checks the policy requires of `artifact`'s kind (but
// `skip`) that fails, as "check 'c' failed: why".
Status FirstFailedCheck(Workspace& ws, const LoadedArtifact& artifact, const TrustPolicy& policy,
                        std::string_view skip) {
  auto it = policy.require.find(artifact.record.kind);
  if (it == policy.require.end()) return Status::Ok();
  for (const std::string& check : it->second) {
    if (check == skip) continue;
    Status s = RunCheck(ws, artifact, policy, check);
    if (!s.ok()) {
      return FailedPreconditionError(fmt::format("check '{}' failed: {}", check, s.message()));
    }
  }
  return Status::Ok();
}

}  // namespace

Status EnforceTrustPolicy(Workspace& ws, const LoadedArtifact& artifact,
                          const TrustPolicy& policy) {
  Status s = FirstFailedCheck(ws, artifact, policy, "");
  if (s.ok()) return s;
  return FailedPreconditionError(
      fmt::format("{} {} ({}) is refused by {}: {}", artifact.record.kind, artifact.record.id,
                  artifact.record.name, (ws.root() / kTrustPolicyFile).string(), s.message()));
}

}  // namespace citadel::workload
