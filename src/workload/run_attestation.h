// Provenance attestations of runs: when a run that produced artifacts
// finishes, its SLSA Provenance v1 (provenance/slsa_provenance.h) is built
// from the catalog — the outputs as subjects, the step spec as
// externalParameters, every input artifact and the executable that ran the
// step as resolvedDependencies, each with its digest — signed with the
// workspace key in a Sigstore bundle, and recorded in the catalog's
// `attestation` table. `citadel provenance REF` prints it;
// provenance_chain.h walks and verifies the chain of them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "catalog/records.h"
#include "provenance/slsa_provenance.h"
#include "workload/workspace.h"

namespace citadel::workload {

// How an artifact is named in a statement: "citadel:artifact/sha256:HEX";
// its digest is the artifact id's (the SHA-256 of its manifest).
inline constexpr std::string_view kArtifactUriPrefix = "citadel:artifact/";

// The resource descriptor of a stored artifact used or made by a run.
provenance::ResourceDescriptor ArtifactDescriptor(const catalog::ArtifactRecord& artifact,
                                                  const std::string& role);

// The artifact id a descriptor names, when it names one (by its uri).
std::optional<std::string> DescribedArtifactId(const provenance::ResourceDescriptor& d);

// Builds, signs (with ws.SigningKey()) and records the provenance of the
// finished run `run_id`. A run that produced nothing has nothing to attest:
// Ok, nothing recorded.
Status AttestRun(Workspace& ws, const std::string& run_id);

// The run's recorded provenance bundle; nullopt when it has none.
Result<std::optional<catalog::AttestationRecord>> RunAttestation(Workspace& ws,
                                                                 const std::string& run_id);

}  // namespace citadel::workload
