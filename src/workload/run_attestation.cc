#include "workload/run_attestation.h"

#include <fmt/format.h>

#include <filesystem>
#include <mutex>

#include "base/logging.h"
#include "base/version.h"
#include "crypto/digest_id.h"
#include "crypto/sha256.h"
#include "provenance/signed_statement.h"

namespace citadel::workload {
namespace {

// The executable running this step, hashed once per process: the binary is
// part of what produced the outputs, so a different citadel build shows in
// the provenance.
Result<provenance::ResourceDescriptor> ExecutableDescriptor() {
  static std::once_flag once;
  static Result<provenance::ResourceDescriptor>* descriptor = nullptr;
  std::call_once(once, [] {
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    Result<crypto::Sha256Digest> digest =
        ec ? Result<crypto::Sha256Digest>(InternalError("cannot resolve /proc/self/exe"))
           : crypto::HashFile(exe);
    if (!digest.ok()) {
      descriptor = new Result<provenance::ResourceDescriptor>(
          digest.status().WithContext("hashing the citadel executable for provenance"));
      return;
    }
    provenance::ResourceDescriptor d;
    d.name = "citadel";
    d.uri = "file://" + exe.string();
    d.sha256 = digest->Hex();
    d.annotations = {{"version", CitadelVersion()}, {"git_commit", CitadelGitCommit()}};
    descriptor = new Result<provenance::ResourceDescriptor>(std::move(d));
  });
  return *descriptor;
}

}  // namespace

provenance::ResourceDescriptor ArtifactDescriptor(const catalog::ArtifactRecord& artifact,
                                                  const std::string& role) {
  provenance::ResourceDescriptor d;
  d.name = role;
  d.uri = std::string(kArtifactUriPrefix) + artifact.id;
  d.sha256 = crypto::DigestHexOf(artifact.id);
  d.annotations = {{"kind", artifact.kind}, {"artifact_name", artifact.name}};
  return d;
}

std::optional<std::string> DescribedArtifactId(const provenance::ResourceDescriptor& d) {
  if (!d.uri.starts_with(kArtifactUriPrefix)) return std::nullopt;
  return d.uri.substr(kArtifactUriPrefix.size());
}

Status AttestRun(Workspace& ws, const std::string& run_id) {
  ASSIGN_OR_RETURN(catalog::RunRecord run, ws.catalog().GetRun(run_id));
  ASSIGN_OR_RETURN(std::vector<catalog::RunEdge> outputs, ws.catalog().RunOutputs(run_id));
  if (outputs.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<catalog::RunEdge> inputs, ws.catalog().RunInputs(run_id));

  provenance::RunProvenance p;
  for (const catalog::RunEdge& e : outputs) {
    ASSIGN_OR_RETURN(catalog::ArtifactRecord artifact, ws.catalog().GetArtifact(e.artifact_id));
    p.subjects.push_back(ArtifactDescriptor(artifact, e.role));
  }
  for (const catalog::RunEdge& e : inputs) {
    ASSIGN_OR_RETURN(catalog::ArtifactRecord artifact, ws.catalog().GetArtifact(e.artifact_id));
    p.dependencies.push_back(ArtifactDescriptor(artifact, e.role));
  }
  ASSIGN_OR_RETURN(provenance::ResourceDescriptor executable, ExecutableDescriptor());
  p.dependencies.push_back(std::move(executable));
  p.external_parameters = {
      {"pipeline", run.pipeline}, {"step", run.step}, {"kind", run.kind}, {"spec", run.spec}};
  p.internal_parameters = {{"spec_digest", run.spec_digest},
                           {"cache_key", run.cache_key},
                           {"status", catalog::RunStatusName(run.status)},
                           {"environment", run.env}};
  if (run.seed) p.internal_parameters["seed"] = *run.seed;
  p.builder_version = {{"citadel", CitadelVersion()}, {"git_commit", CitadelGitCommit()}};
  p.invocation_id = run.id;
  p.started_on = run.started_at;
  p.finished_on = run.finished_at.value_or("");

  ASSIGN_OR_RETURN(crypto::PrivateKey key, ws.SigningKey());
  ASSIGN_OR_RETURN(Json bundle, provenance::SignStatement(provenance::ProvenanceStatement(p), key));
  catalog::AttestationRecord record;
  record.run_id = run.id;
  record.predicate_type = std::string(provenance::kSlsaPredicateType);
  record.signer = fmt::format("key sha256:{}", provenance::KeyHint(key.Public()));
  record.bundle = bundle.dump();
  return ws.catalog().PutAttestation(record);
}

Result<std::optional<catalog::AttestationRecord>> RunAttestation(Workspace& ws,
                                                                 const std::string& run_id) {
  return ws.catalog().Attestation(run_id, provenance::kSlsaPredicateType);
}

}  // namespace citadel::workload
