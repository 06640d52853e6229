#include "workload/artifact_signing.h"

#include <fmt/format.h>

namespace citadel::workload {
namespace {

std::vector<provenance::ModelResource> ManifestResources(const LoadedArtifact& artifact) {
  std::vector<provenance::ModelResource> out;
  for (const auto& f : artifact.manifest.files()) out.push_back({f.path, f.digest.Hex()});
  return out;
}

}  // namespace

Result<std::string> SignArtifact(Workspace& ws, const LoadedArtifact& artifact,
                                 const provenance::BundleSigner& signer) {
  // The blobs must hold what the manifest says before anything is vouched for.
  for (const auto& f : artifact.manifest.files()) {
    RETURN_IF_ERROR(ws.blobs().Verify(f.digest).WithContext(
        fmt::format("artifact {} file {}", artifact.record.id, f.path)));
  }
  ASSIGN_OR_RETURN(Json bundle, provenance::SignResources(ManifestResources(artifact),
                                                          artifact.record.id, signer, {}));
  catalog::SignatureRecord record;
  record.artifact_id = artifact.record.id;
  record.signer = signer.Describe();
  record.bundle = bundle.dump(2);
  RETURN_IF_ERROR(ws.catalog().PutSignature(record));
  return record.signer;
}

Result<provenance::VerifiedModel> VerifyArtifact(Workspace& ws, const LoadedArtifact& artifact,
                                                 const provenance::TrustAnchors& anchors) {
  ASSIGN_OR_RETURN(std::vector<catalog::SignatureRecord> signatures,
                   ws.catalog().Signatures(artifact.record.id));
  if (signatures.empty()) {
    return FailedPreconditionError(
        fmt::format("artifact {} ({}) is not signed; sign it with `citadel sign {}`",
                    artifact.record.id, artifact.record.name, artifact.record.id));
  }
  std::optional<Status> first_failure;
  for (const catalog::SignatureRecord& s : signatures) {
    Result<provenance::SignedStatement> statement = provenance::OpenBundle(s.bundle, anchors);
    if (!statement.ok()) {
      if (!first_failure) first_failure = statement.status();
      continue;
    }
    Status files = provenance::CompareResources(*statement, ManifestResources(artifact),
                                                "artifact " + artifact.record.id);
    if (!files.ok()) {
      if (!first_failure) first_failure = files;
      continue;
    }
    // The blobs are the same whichever signature holds: a damaged one fails
    // the artifact.
    for (const auto& f : artifact.manifest.files()) {
      RETURN_IF_ERROR(ws.blobs().Verify(f.digest).WithContext(
          fmt::format("artifact {} file {}", artifact.record.id, f.path)));
    }
    return provenance::VerifiedModel{statement->signer, statement->resources.size()};
  }
  return first_failure->WithContext(
      fmt::format("none of the {} signatures of artifact {} verifies; the first", signatures.size(),
                  artifact.record.id));
}

Result<std::optional<std::string>> LatestSignatureBundle(Workspace& ws,
                                                         const std::string& artifact_id) {
  ASSIGN_OR_RETURN(std::vector<catalog::SignatureRecord> signatures,
                   ws.catalog().Signatures(artifact_id));
  if (signatures.empty()) return std::optional<std::string>();
  return std::optional<std::string>(signatures.back().bundle);
}

}  // namespace citadel::workload
