// citadel artifacts ls | show REF | export REF DIR.
#include <fmt/format.h>

#include "base/system/files.h"
#include "cli.h"
#include "store/artifact_files.h"
#include "workload/artifact_access.h"
#include "workload/artifact_signing.h"
#include "workload/ref_resolver.h"

namespace citadel::cli {
namespace {

Json ArtifactJson(const catalog::ArtifactRecord& a) {
  return {{"id", a.id},
          {"kind", a.kind},
          {"name", a.name},
          {"media_type", a.media_type},
          {"size", a.size},
          {"created_by_run", a.created_by_run ? Json(*a.created_by_run) : Json(nullptr)},
          {"created_at", a.created_at},
          {"metadata", a.metadata}};
}

Status List(const Globals& globals, const std::string& kind, bool json) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  ASSIGN_OR_RETURN(auto artifacts, ws->catalog().ListArtifacts(kind));
  if (json) {
    Json out = Json::array();
    for (const auto& a : artifacts) out.push_back(ArtifactJson(a));
    PrintJson(out);
    return Status::Ok();
  }
  std::vector<std::vector<std::string>> rows = {{"ID", "KIND", "NAME", "SIZE", "CREATED"}};
  for (const auto& a : artifacts)
    rows.push_back({ShortId(a.id), a.kind, a.name, HumanBytes(a.size), a.created_at});
  fmt::print("{}", FormatTable(rows));
  return Status::Ok();
}

Status Show(const Globals& globals, const std::string& ref, bool json) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  ASSIGN_OR_RETURN(std::string id, workload::ResolveArtifactRef(ws->catalog(), ref));
  ASSIGN_OR_RETURN(auto artifact, workload::LoadArtifact(*ws, id));
  Json out = ArtifactJson(artifact.record);
  Json files = Json::array();
  for (const auto& f : artifact.manifest.files()) {
    files.push_back({{"path", f.path}, {"sha256", f.digest.Hex()}, {"size", f.size}});
  }
  out["files"] = files;
  if (json) {
    PrintJson(out);
    return Status::Ok();
  }
  fmt::print("artifact  {}\nkind      {}  ({})\nname      {}\nsize      {}\ncreated   {}{}\n",
             artifact.record.id, artifact.record.kind, artifact.record.media_type,
             artifact.record.name, HumanBytes(artifact.record.size), artifact.record.created_at,
             artifact.record.created_by_run ? " by run " + *artifact.record.created_by_run : "");
  fmt::print("files\n");
  for (const auto& f : artifact.manifest.files())
    fmt::print("  {:<24} {:>10}  sha256:{}\n", f.path, HumanBytes(f.size), f.digest.Hex());
  if (!artifact.record.metadata.empty())
    fmt::print("metadata  {}\n", CanonicalJson(artifact.record.metadata));
  return Status::Ok();
}

Status Export(const Globals& globals, const std::string& ref, const std::string& dest) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  ASSIGN_OR_RETURN(std::string id, workload::ResolveArtifactRef(ws->catalog(), ref));
  ASSIGN_OR_RETURN(auto artifact, workload::LoadArtifact(*ws, id));
  Status s = store::ExportArtifact(ws->blobs(), artifact.manifest, dest);
  if (!s.ok()) return s.WithContext(fmt::format("exporting {}", artifact.record.name));
  // A signed artifact leaves with its signature: the directory then
  // verifies with any OMS verifier (`citadel verify DIR`, model_signing).
  ASSIGN_OR_RETURN(std::optional<std::string> bundle, workload::LatestSignatureBundle(*ws, id));
  if (bundle) {
    RETURN_IF_ERROR(WriteFileAtomic(std::filesystem::path(dest) / "model.sig", *bundle));
  }
  fmt::print("exported {} ({} files, {}) to {}\n", id, artifact.manifest.files().size(),
             HumanBytes(artifact.manifest.TotalSize()), dest);
  return Status::Ok();
}

}  // namespace

void AddArtifactsCommands(CLI::App& app, Command& cmd) {
  auto* artifacts = app.add_subcommand("artifacts", "Inspect and export stored artifacts");
  artifacts->require_subcommand(1);

  auto* ls = artifacts->add_subcommand("ls", "List artifacts");
  auto kind = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  ls->add_option("--kind", *kind, "Only this kind (dataset, model, report, predictions, source)");
  ls->add_flag("--json", *json, "JSON output");
  ls->callback([&cmd, kind, json] {
    cmd.action = [&cmd, kind, json] { return List(cmd.globals, *kind, *json); };
  });

  auto* show = artifacts->add_subcommand("show", "Show an artifact and its files");
  auto ref = std::make_shared<std::string>();
  auto show_json = std::make_shared<bool>(false);
  show->add_option("ref", *ref,
                   "Artifact id (or prefix), model NAME[@ALIAS|:VERSION], RUN_ID:ROLE or name")
      ->required();
  show->add_flag("--json", *show_json, "JSON output");
  show->callback([&cmd, ref, show_json] {
    cmd.action = [&cmd, ref, show_json] { return Show(cmd.globals, *ref, *show_json); };
  });

  auto* exp = artifacts->add_subcommand(
      "export", "Write an artifact's files to a directory, verifying every byte");
  auto exp_ref = std::make_shared<std::string>();
  auto dest = std::make_shared<std::string>();
  exp->add_option("ref", *exp_ref, "Artifact reference")->required();
  exp->add_option("dir", *dest, "Destination directory (new or empty)")->required();
  exp->callback([&cmd, exp_ref, dest] {
    cmd.action = [&cmd, exp_ref, dest] { return Export(cmd.globals, *exp_ref, *dest); };
  });
}

}  // namespace citadel::cli
