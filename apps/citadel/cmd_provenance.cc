// citadel provenance REF|RUN_ID and citadel verify --chain REF: the signed
// SLSA provenance each run records (workload/run_attestation.h), printed
// once its signature verifies, and the chain of them walked from a model
// back to its source files (workload/provenance_chain.h).
#include <fmt/format.h>

#include "cli.h"
#include "provenance/slsa_provenance.h"
#include "workload/provenance_chain.h"
#include "workload/ref_resolver.h"
#include "workload/run_attestation.h"
#include "workload/trust_policy.h"

namespace citadel::cli {
namespace {

// Command-line anchors, else the policy's; the workspace key is trusted too.
Result<provenance::TrustAnchors> ChainAnchors(workload::Workspace& ws,
                                              provenance::TrustAnchors anchors) {
  if (anchors.empty()) {
    ASSIGN_OR_RETURN(workload::TrustPolicy policy, workload::LoadTrustPolicy(ws));
    anchors = std::move(policy.anchors);
  }
  return workload::WithWorkspaceKey(ws, std::move(anchors));
}

// The run REF names: an artifact's producing run, or a run id (prefix).
Result<std::string> RunOf(workload::Workspace& ws, const std::string& ref) {
  Result<std::string> artifact = workload::ResolveArtifactRef(ws.catalog(), ref);
  if (artifact.ok()) {
    ASSIGN_OR_RETURN(catalog::ArtifactRecord record, ws.catalog().GetArtifact(*artifact));
    if (!record.created_by_run) {
      return NotFoundError(fmt::format(
          "artifact {} ({}) was read from outside (a {}), not produced by a run: it has no "
          "provenance of its own; its digest is what runs that used it attest",
          record.id, record.name, record.kind));
    }
    return *record.created_by_run;
  }
  Result<std::string> run = ws.catalog().ResolveRunId(ref);
  if (run.ok()) return run;
  return artifact.status().WithContext(
      fmt::format("'{}' is neither an artifact nor a run ({})", ref, run.status().message()));
}

struct ProvenanceArgs {
  std::string ref;
  bool json = false;
  bool bundle = false;
};

// A string field of the statement, or "" when it is absent or not a string.
std::string Text(const Json& object, const char* key) {
  return object.is_object() && object.contains(key) && object[key].is_string()
             ? object[key].get<std::string>()
             : "";
}

void PrintSummary(const std::string& run_id, const std::string& signer,
                  const provenance::RunProvenance& p) {
  fmt::print("run {} ({} {}.{}), {} → {}\n", run_id, Text(p.external_parameters, "kind"),
             Text(p.external_parameters, "pipeline"), Text(p.external_parameters, "step"),
             p.started_on, p.finished_on);
  fmt::print("signed by {}; builder {}\n", signer, p.builder_id);
  fmt::print("outputs:\n");
  for (const auto& s : p.subjects) {
    fmt::print("  {:<12} sha256:{}  {}\n", s.name, s.sha256, Text(s.annotations, "artifact_name"));
  }
  fmt::print("inputs:\n");
  for (const auto& d : p.dependencies) {
    fmt::print(
        "  {:<12} sha256:{}  {}\n", d.name, d.sha256,
        d.annotations.contains("artifact_name") ? Text(d.annotations, "artifact_name") : d.uri);
  }
}

Status ShowProvenance(const Globals& globals, const ProvenanceArgs& args) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  ASSIGN_OR_RETURN(std::string run_id, RunOf(*ws, args.ref));
  ASSIGN_OR_RETURN(std::optional<catalog::AttestationRecord> record,
                   workload::RunAttestation(*ws, run_id));
  if (!record) {
    ASSIGN_OR_RETURN(catalog::RunRecord run, ws->catalog().GetRun(run_id));
    return NotFoundError(fmt::format(
        "run {} ({}, {}) has no provenance attestation{}", run_id, run.kind,
        catalog::RunStatusName(run.status),
        run.cached_from ? fmt::format(": it reused the outputs of run {}, whose provenance "
                                      "attests them",
                                      *run.cached_from)
                        : ": it produced no artifact, or ran before attestations existed"));
  }
  if (args.bundle) {
    // Unchecked means as stored, even when what is stored is not JSON.
    const Json bundle = Json::parse(record->bundle, nullptr, /*allow_exceptions=*/false);
    if (bundle.is_discarded()) {
      fmt::print("{}\n", record->bundle);
    } else {
      PrintJson(bundle);
    }
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(provenance::TrustAnchors anchors, ChainAnchors(*ws, {}));
  Result<provenance::OpenedStatement> opened =
      provenance::OpenSignedStatement(record->bundle, anchors);
  if (!opened.ok()) {
    return opened.status().WithContext(fmt::format(
        "the provenance of run {} does not verify (print it anyway with --bundle)", run_id));
  }
  ASSIGN_OR_RETURN(provenance::RunProvenance p,
                   provenance::ParseProvenanceStatement(opened->statement));
  if (args.json) {
    PrintJson(opened->statement);
  } else {
    PrintSummary(run_id, opened->signer, p);
  }
  return Status::Ok();
}

Json LinkJson(const workload::ChainLink& link) {
  return {{"depth", link.depth},
          {"role", link.role},
          {"artifact", link.artifact_id},
          {"kind", link.kind},
          {"name", link.name},
          {"run", link.run_id},
          {"attested_by", link.attested_by},
          {"signed_by", link.signed_by},
          {"ok", link.ok},
          {"detail", link.detail}};
}

}  // namespace

Status VerifyChain(const Globals& globals, const std::string& ref, provenance::TrustAnchors anchors,
                   bool json) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  ASSIGN_OR_RETURN(std::string id, workload::ResolveArtifactRef(ws->catalog(), ref));
  ASSIGN_OR_RETURN(anchors, ChainAnchors(*ws, std::move(anchors)));
  workload::ChainReport report = workload::VerifyProvenanceChain(*ws, id, anchors);
  if (json) {
    Json links = Json::array();
    for (const auto& link : report.links) links.push_back(LinkJson(link));
    PrintJson({{"artifact", id},
               {"verified", report.status.ok()},
               {"links", links},
               {"error", report.status.ok() ? "" : report.status.message()}});
  } else {
    for (const auto& link : report.links) {
      std::string how = link.run_id.empty() ? "source" : "run " + link.run_id;
      if (!link.attested_by.empty()) how += ", attested by " + link.attested_by;
      for (const auto& s : link.signed_by) how += ", signed by " + s;
      fmt::print("{:{}}{} {} {} ({}): {}\n", "", 2 * link.depth, link.ok ? "ok" : "BROKEN",
                 link.role.empty() ? link.kind : link.role, ShortId(link.artifact_id), link.name,
                 link.ok ? how : link.detail);
    }
  }
  if (!report.status.ok()) return report.status.WithContext(fmt::format("verifying {}", ref));
  if (!json) fmt::print("verified the provenance chain of {}: {} links\n", id, report.links.size());
  return Status::Ok();
}

void AddProvenanceCommand(CLI::App& app, Command& cmd) {
  auto args = std::make_shared<ProvenanceArgs>();
  auto* provenance = app.add_subcommand(
      "provenance",
      "Print the signed SLSA provenance of the run that produced an artifact (or of a run)");
  provenance->add_option("ref", args->ref, "Artifact REF or run id")->required();
  provenance->add_flag("--json", args->json, "The in-toto statement, once its signature verifies");
  provenance->add_flag("--bundle", args->bundle, "The signed Sigstore bundle as stored, unchecked");
  provenance->callback(
      [&cmd, args] { cmd.action = [&cmd, args] { return ShowProvenance(cmd.globals, *args); }; });
}

}  // namespace citadel::cli
