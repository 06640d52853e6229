// Signing stored artifacts: an artifact's manifest is exactly the list of
// files and SHA-256 digests an OMS signature covers, so an artifact is
// signed without re-hashing, and the bundle is kept in the catalog (one per
// signer). Verifying checks a bundle against the trust anchors, the
// manifest against the signed list, and every blob against its digest.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "crypto/signing_key.h"
#include "provenance/model_signature.h"
#include "workload/artifact_access.h"
#include "workload/workspace.h"

namespace citadel::workload {

// Signs `artifact` by `signer` and records the bundle; returns the signer
// ("key sha256:HINT" or "certificate NAMES, issued by CA").
Result<std::string> SignArtifact(Workspace& ws, const LoadedArtifact& artifact,
                                 const provenance::BundleSigner& signer);

// Verifies the artifact's recorded signatures until one holds. Errors:
// FailedPrecondition when it has none; the first signature's failure
// otherwise (PermissionDenied: the signature; DataLoss: a file or blob).
Result<provenance::VerifiedModel> VerifyArtifact(Workspace& ws, const LoadedArtifact& artifact,
                                                 const provenance::TrustAnchors& anchors);

// The newest recorded bundle of `artifact`, for exporting beside its files;
// nullopt when it is not signed.
Result<std::optional<std::string>> LatestSignatureBundle(Workspace& ws,
                                                         const std::string& artifact_id);

}  // namespace citadel::workload
