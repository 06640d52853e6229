// citadel bom REF [--format cyclonedx] [--output FILE]: the AI-BOM of a
// model (workload/model_bom.h), CycloneDX 1.6 JSON.
#include <fmt/format.h>

#include "base/system/files.h"
#include "cli.h"
#include "workload/model_bom.h"
#include "workload/provenance_chain.h"
#include "workload/ref_resolver.h"
#include "workload/trust_policy.h"

namespace citadel::cli {
namespace {

struct BomArgs {
  std::string ref;
  std::string format = "cyclonedx";
  std::string output;
};

Status WriteBom(const Globals& globals, const BomArgs& args) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  ASSIGN_OR_RETURN(std::string id, workload::ResolveArtifactRef(ws->catalog(), args.ref));
  ASSIGN_OR_RETURN(workload::TrustPolicy policy, workload::LoadTrustPolicy(*ws));
  ASSIGN_OR_RETURN(provenance::TrustAnchors anchors,
                   workload::WithWorkspaceKey(*ws, std::move(policy.anchors)));
  ASSIGN_OR_RETURN(Json bom, workload::ModelBom(*ws, id, anchors));
  if (args.output.empty()) {
    PrintJson(bom);
    return Status::Ok();
  }
  // Written whole or not at all: a BOM consumer never reads half of one.
  RETURN_IF_ERROR(WriteFileAtomic(args.output, bom.dump(2) + "\n"));
  fmt::print("wrote the CycloneDX 1.6 bill of materials of {} to {}\n", id, args.output);
  return Status::Ok();
}

}  // namespace

void AddBomCommand(CLI::App& app, Command& cmd) {
  auto args = std::make_shared<BomArgs>();
  auto* bom = app.add_subcommand(
      "bom",
      "AI bill of materials of a model: CycloneDX 1.6 with model card, datasets, "
      "software, signature, provenance and scan results");
  bom->add_option("ref", args->ref, "Model REF")->required();
  bom->add_option("--format", args->format, "cyclonedx (CycloneDX 1.6 JSON)")
      ->check(CLI::IsMember({"cyclonedx"}));
  bom->add_option("--output,-o", args->output, "Write to FILE instead of stdout");
  bom->callback(
      [&cmd, args] { cmd.action = [&cmd, args] { return WriteBom(cmd.globals, *args); }; });
}

}  // namespace citadel::cli
