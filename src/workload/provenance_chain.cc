#include "workload/provenance_chain.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>

#include "crypto/digest_id.h"
#include "provenance/slsa_provenance.h"
#include "workload/artifact_signing.h"
#include "workload/run_attestation.h"

namespace citadel::workload {
namespace {

class ChainWalker {
 public:
  ChainWalker(Workspace& ws, const provenance::TrustAnchors& anchors,
              const ChainArtifactCheck& check)
      : ws_(ws), anchors_(anchors), check_(check) {}

  ChainReport Walk(const std::string& artifact_id) {
    ChainReport report;
    Visit(artifact_id, "", 0, report);
    return report;
  }

 private:
  // Appends the link of `artifact_id` and those below it; false once a link
  // is broken (the report's status then names it).
  bool Visit(const std::string& artifact_id, const std::string& role, int depth,
             ChainReport& report) {
    if (!visited_.insert(artifact_id).second) return true;
    report.links.push_back({});
    const size_t index = report.links.size() - 1;
    ChainLink& link = report.links[index];
    link.depth = depth;
    link.role = role;
    link.artifact_id = artifact_id;
    Status s = CheckLink(link);
    if (!s.ok()) return Break(report, index, s);
    // Copied: Visit below appends to report.links and to next_.
    const std::vector<std::pair<std::string, std::string>> inputs = std::move(next_);
    next_.clear();
    for (const auto& [dep_role, dep_id] : inputs) {
      if (!Visit(dep_id, dep_role, depth + 1, report)) return false;
    }
    return true;
  }

  bool Break(ChainReport& report, size_t index, const Status& why) {
    ChainLink& link = report.links[index];
    link.ok = false;
    link.detail = std::string(why.message());
    report.status = FailedPreconditionError(fmt::format(
        "the provenance chain is broken at {} {}{}{}: {}",
        link.kind.empty() ? "artifact" : link.kind, link.artifact_id,
        link.name.empty() ? "" : " (" + link.name + ")",
        link.role.empty() ? "" : fmt::format(", used as '{}'", link.role), why.message()));
    return false;
  }

  // Checks one artifact and the run that produced it; leaves the signed
  // inputs of that run in next_.
  Status CheckLink(ChainLink& link) {
    Result<LoadedArtifact> artifact = LoadArtifact(ws_, link.artifact_id);
    if (!artifact.ok()) return artifact.status();
    link.kind = artifact->record.kind;
    link.name = artifact->record.name;
    for (const auto& f : artifact->manifest.files()) {
      RETURN_IF_ERROR(ws_.blobs().Verify(f.digest).WithContext(fmt::format("file {}", f.path)));
    }
    ASSIGN_OR_RETURN(auto signatures, ws_.catalog().Signatures(link.artifact_id));
    if (!signatures.empty()) {
      Result<provenance::VerifiedModel> verified = VerifyArtifact(ws_, *artifact, anchors_);
      if (!verified.ok()) return verified.status().WithContext("its signature");
      link.signed_by.push_back(verified->signer);
    }
    if (check_) RETURN_IF_ERROR(check_(*artifact));

    if (!artifact->record.created_by_run) {
      if (link.kind == "source") return Status::Ok();  // a file read from outside: the leaf
      return FailedPreconditionError(
          "no recorded run produced it, so nothing attests where it came from");
    }
    link.run_id = *artifact->record.created_by_run;
    return CheckRun(link);
  }

  Status CheckRun(ChainLink& link) {
    const std::string& run = link.run_id;
    ASSIGN_OR_RETURN(std::optional<catalog::AttestationRecord> record, RunAttestation(ws_, run));
    if (!record) {
      return FailedPreconditionError(
          fmt::format("run {} that produced it has no provenance attestation", run));
    }
    Result<provenance::OpenedStatement> opened =
        provenance::OpenSignedStatement(record->bundle, anchors_);
    if (!opened.ok()) {
      return opened.status().WithContext(fmt::format("the provenance of run {}", run));
    }
    link.attested_by = opened->signer;
    ASSIGN_OR_RETURN(provenance::RunProvenance p,
                     provenance::ParseProvenanceStatement(opened->statement));
    if (p.invocation_id != run) {
      return FailedPreconditionError(fmt::format(
          "the provenance recorded for run {} is signed for run {}", run, p.invocation_id));
    }
    const std::string hex(crypto::DigestHexOf(link.artifact_id));
    bool listed = false;
    for (const provenance::ResourceDescriptor& s : p.subjects) listed |= s.sha256 == hex;
    if (!listed) {
      return FailedPreconditionError(fmt::format(
          "the signed provenance of run {} does not list it among the run's outputs", run));
    }
    std::set<std::pair<std::string, std::string>> signed_inputs;
    for (const provenance::ResourceDescriptor& d : p.dependencies) {
      std::optional<std::string> id = DescribedArtifactId(d);
      if (!id) continue;  // the executable: recorded, not walked
      if (crypto::DigestHexOf(*id) != d.sha256) {
        return FailedPreconditionError(
            fmt::format("the signed provenance of run {} names input {} with another digest ({})",
                        run, *id, d.sha256));
      }
      signed_inputs.emplace(d.name, *id);
    }
    ASSIGN_OR_RETURN(std::vector<catalog::RunEdge> edges, ws_.catalog().RunInputs(run));
    std::set<std::pair<std::string, std::string>> recorded;
    for (const catalog::RunEdge& e : edges) recorded.emplace(e.role, e.artifact_id);
    if (recorded != signed_inputs) {
      std::vector<std::string> differ;
      for (const auto& [r, id] : recorded)
        if (!signed_inputs.count({r, id}))
          differ.push_back(fmt::format("{} {} (catalog only)", r, id));
      for (const auto& [r, id] : signed_inputs)
        if (!recorded.count({r, id})) differ.push_back(fmt::format("{} {} (signed only)", r, id));
      return FailedPreconditionError(
          fmt::format("the catalog's inputs of run {} differ from its signed provenance: {}", run,
                      fmt::join(differ, "; ")));
    }
    next_.assign(signed_inputs.begin(), signed_inputs.end());
    return Status::Ok();
  }

  Workspace& ws_;
  const provenance::TrustAnchors& anchors_;
  const ChainArtifactCheck& check_;
  std::set<std::string> visited_;
  std::vector<std::pair<std::string, std::string>> next_;  // (role, artifact id)
};

}  // namespace

ChainReport VerifyProvenanceChain(Workspace& ws, const std::string& artifact_id,
                                  const provenance::TrustAnchors& anchors,
                                  const ChainArtifactCheck& check) {
  return ChainWalker(ws, anchors, check).Walk(artifact_id);
}

Result<provenance::TrustAnchors> WithWorkspaceKey(const Workspace& ws,
                                                  provenance::TrustAnchors anchors) {
  // Never created here: verifying must not mint the key it trusts.
  if (!std::filesystem::exists(ws.SigningKeyPath())) return anchors;
  ASSIGN_OR_RETURN(crypto::PrivateKey key, ws.SigningKey());
  anchors.keys.push_back(key.Public());
  return anchors;
}

}  // namespace citadel::workload
