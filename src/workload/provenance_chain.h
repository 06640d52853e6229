// Verifying where an artifact came from, back to its sources: the artifact's
// files against their digests, then the signed provenance of the run that
// produced it (signature, the run it names, the artifact among its
// subjects, the catalog's lineage against the signed inputs), then each
// input the provenance names, recursively, down to source files. Only what
// is signed is followed — the catalog's edges are checked against it, never
// trusted instead of it — and the walk stops at the first broken link,
// which the report names.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "provenance/signed_statement.h"
#include "workload/artifact_access.h"
#include "workload/workspace.h"

namespace citadel::workload {

struct ChainLink {
  int depth = 0;
  std::string role;  // how the run one level up used it; empty for the artifact asked about
  std::string artifact_id, kind, name;
  std::string run_id;                  // the run that produced it; empty for a source
  std::string attested_by;             // who signed that run's provenance
  std::vector<std::string> signed_by;  // verified signatures of the artifact itself
  bool ok = true;
  std::string detail;  // why the link is broken
};

struct ChainReport {
  std::vector<ChainLink> links;  // depth first, the artifact asked about first
  Status status;                 // Ok, or FailedPrecondition naming the first broken link
};

// An extra check each artifact of the chain must pass (the trust policy's
// requirements for its kind).
using ChainArtifactCheck = std::function<Status(const LoadedArtifact&)>;

// Verifies the chain that ends in `artifact_id`; attestations and artifact
// signatures are checked against `anchors`.
ChainReport VerifyProvenanceChain(Workspace& ws, const std::string& artifact_id,
                                  const provenance::TrustAnchors& anchors,
                                  const ChainArtifactCheck& check = nullptr);

// `anchors` plus the workspace's own public key (which signs attestations).
Result<provenance::TrustAnchors> WithWorkspaceKey(const Workspace& ws,
                                                  provenance::TrustAnchors anchors);

}  // namespace citadel::workload
