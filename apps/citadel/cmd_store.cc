// citadel store verify.
#include <fmt/format.h>

#include "cli.h"
#include "workload/store_verifier.h"

namespace citadel::cli {
namespace {

Status Verify(const Globals& globals, bool json) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  ASSIGN_OR_RETURN(workload::StoreReport report, workload::VerifyStore(*ws));
  if (json) {
    PrintJson(report.ToJson());
  } else {
    fmt::print("checked {} blobs ({}); {} unreferenced\n", report.blobs_checked,
               HumanBytes(report.bytes_checked), report.unreferenced_blobs);
    for (const auto& p : report.problems) {
      fmt::print("{} blob {}\n",
                 p.problem == "corrupt"   ? "CORRUPT"
                 : p.problem == "missing" ? "MISSING"
                                          : "UNREADABLE",
                 p.blob);
      for (const auto& u : p.used_by)
        fmt::print("  used by artifact {} ({}) as {}\n", u.artifact_id, u.artifact_name, u.path);
    }
    if (report.ok()) fmt::print("store OK\n");
  }
  if (!report.ok()) {
    return DataLossError(
        fmt::format("{} damaged blob(s) in {}; re-run the producing steps with --force to restore "
                    "them, or restore the files "
                    "from a backup",
                    report.problems.size(), ws->blobs().root().string()));
  }
  return Status::Ok();
}

}  // namespace

void AddStoreCommands(CLI::App& app, Command& cmd) {
  auto* store = app.add_subcommand("store", "Blob store maintenance");
  store->require_subcommand(1);
  auto* verify = store->add_subcommand(
      "verify", "Re-hash every referenced blob; exit 1 naming each corrupt or missing one");
  auto json = std::make_shared<bool>(false);
  verify->add_flag("--json", *json, "JSON report");
  verify->callback(
      [&cmd, json] { cmd.action = [&cmd, json] { return Verify(cmd.globals, *json); }; });
}

}  // namespace citadel::cli
