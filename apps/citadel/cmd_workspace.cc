// citadel init, citadel run.
#include <fmt/format.h>

#include "base/logging.h"
#include "base/time.h"
#include "cli.h"
#include "workload/pipeline/pipeline_runner.h"

namespace citadel::cli {
namespace {

Status Init(const Globals& globals, const std::string& dir) {
  std::filesystem::path root = !dir.empty()            ? std::filesystem::path(dir)
                               : !globals.home.empty() ? std::filesystem::path(globals.home)
                                                       : workload::Workspace::DefaultRoot();
  bool created = false;
  ASSIGN_OR_RETURN(auto ws, workload::Workspace::Init(root, &created));
  fmt::print("{} Citadel workspace at {}\n", created ? "Created" : "Found existing",
             ws->root().string());
  return Status::Ok();
}

std::string MetricsText(const std::map<std::string, double>& metrics) {
  std::string out;
  for (const auto& [k, v] : metrics) {
    out += fmt::format("{}{}={}", out.empty() ? "" : " ", k,
                       v == static_cast<int64_t>(v) ? fmt::format("{}", static_cast<int64_t>(v))
                                                    : fmt::format("{:.4f}", v));
  }
  return out;
}

void PrintOutcome(const workload::PipelineOutcome& outcome, double seconds) {
  int ran = 0, cached = 0;
  for (const auto& s : outcome.steps) {
    if (s.cached) {
      ++cached;
    } else if (!s.run_id.empty()) {
      ++ran;
    }
  }
  fmt::print("pipeline {}: {} steps, {} executed, {} cached, {:.2f} s — {}\n", outcome.pipeline,
             outcome.steps.size(), ran, cached, seconds,
             outcome.status.ok() ? "succeeded" : "FAILED");
  std::vector<std::vector<std::string>> rows = {
      {"STEP", "KIND", "STATUS", "CACHED", "TIME", "RUN", "METRICS"}};
  for (const auto& s : outcome.steps) {
    rows.push_back({s.name, s.kind, s.status, s.cached ? "yes" : "no",
                    s.run_id.empty() ? "-" : fmt::format("{:.2f} s", s.seconds),
                    s.run_id.empty() ? "-" : s.run_id.substr(0, 18), MetricsText(s.metrics)});
  }
  std::string table = FormatTable(rows);
  for (size_t pos = 0; pos < table.size();) {
    size_t nl = table.find('\n', pos);
    fmt::print("  {}\n", table.substr(pos, nl - pos));
    pos = nl + 1;
  }
  fmt::print("outputs:\n");
  for (const auto& s : outcome.steps) {
    for (const auto& [role, id] : s.outputs) fmt::print("  {}.{}  {}\n", s.name, role, id);
  }
  if (!outcome.status.ok()) {
    for (const auto& s : outcome.steps) {
      if (!s.error.empty()) fmt::print("step {} failed: {}\n", s.name, s.error);
    }
  }
}

Status Run(const Globals& globals, const std::string& spec, bool force, bool json) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  Stopwatch clock;
  ASSIGN_OR_RETURN(workload::PipelineOutcome outcome,
                   workload::RunPipeline(*ws, spec, {.force = force}));
  if (json) {
    PrintJson(outcome.ToJson());
  } else {
    PrintOutcome(outcome, clock.ElapsedSeconds());
  }
  return outcome.status;
}

}  // namespace

void AddWorkspaceCommands(CLI::App& app, Command& cmd) {
  auto* init = app.add_subcommand("init", "Create a workspace (idempotent)");
  auto dir = std::make_shared<std::string>();
  init->add_option("--dir", *dir,
                   "Where to create it (default: --home, $CITADEL_HOME, else ./.citadel)");
  init->callback([&cmd, dir] { cmd.action = [&cmd, dir] { return Init(cmd.globals, *dir); }; });

  auto* run =
      app.add_subcommand("run", "Run a pipeline spec; unchanged steps are reused from the cache");
  auto spec = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  run->add_option("spec", *spec, "Pipeline spec (YAML)")->required()->check(CLI::ExistingFile);
  run->add_flag("--force", *force, "Re-execute every step even when cached");
  run->add_flag("--json", *json, "Print the outcome as JSON");
  run->callback([&cmd, spec, force, json] {
    cmd.action = [&cmd, spec, force, json] { return Run(cmd.globals, *spec, *force, *json); };
  });
}

}  // namespace citadel::cli
