// The workspace's trust policy (policy.yaml beside the catalog): whom to
// trust and which checks a model must pass before any step loads it.
//
//   trusted_keys: [keys/signing-key.pub.pem]   # PEM public keys
//   trusted_roots: [/etc/citadel/ca.pem]        # CA certificates (PEM)
//   trusted_identities:                          # who may sign with those CAs' certificates
//     - { identity: ml-release@acme.example, oidc_issuer: https://accounts.acme.example }
//     - { identity_regexp: "https://ci\\.acme\\.example/pipelines/[0-9]+" }
//   require:
//     model: [signature, scan, provenance]
//     source: [signature]
//
// Paths are relative to the workspace. Without trusted_identities any
// certificate the trusted roots issued for code signing is trusted; with
// them, the signing certificate must also carry a matching name (an
// alternative name of any type, or of one with an email: / uri: / dns:
// prefix; the subject DN only with subject:) and OIDC issuer, when a rule
// names one (provenance/signer_identity.h). `require` maps
// an artifact kind (model, dataset, source, file, checkpoint) to its
// checks: `signature` — a
// recorded OMS signature verifies with a trusted key or chain (workload/
// artifact_signing.h); `scan` — every file scans clean under the default
// policy (src/scan); `provenance` — the chain of signed run attestations
// back to the source files verifies (workload/provenance_chain.h; the
// workspace's own key is trusted for attestations besides trusted_keys),
// and every artifact along it passes the checks its own kind requires: a
// model whose training data must be signed says `source: [signature]`.
// Without policy.yaml nothing is required beyond the digest check every
// read makes. Evaluate and predict enforce it; a refusal names the
// artifact, the check and why.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "provenance/model_signature.h"
#include "workload/artifact_access.h"
#include "workload/workspace.h"

namespace citadel::workload {

inline constexpr std::string_view kTrustPolicyFile = "policy.yaml";

struct TrustPolicy {
  provenance::TrustAnchors anchors;
  std::map<std::string, std::vector<std::string>> require;  // artifact kind → checks
};

// The workspace's policy (an empty one when policy.yaml is absent).
// InvalidArgument naming the file, line and field when it is malformed.
Result<TrustPolicy> LoadTrustPolicy(const Workspace& ws);

// FailedPrecondition "model X (name) is refused by policy.yaml: check 'c'
// failed: …" for the first required check `artifact` does not pass.
Status EnforceTrustPolicy(Workspace& ws, const LoadedArtifact& artifact, const TrustPolicy& policy);

}  // namespace citadel::workload
