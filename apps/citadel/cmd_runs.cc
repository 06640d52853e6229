// citadel runs ls | show RUN_ID | logs RUN_ID | resume RUN_ID.
#include <fmt/format.h>

#include "base/system/files.h"
#include "base/time.h"
#include "cli.h"

namespace citadel::cli {
namespace {

Json RunSummaryJson(const catalog::RunRecord& r) {
  return {{"id", r.id},
          {"pipeline", r.pipeline},
          {"step", r.step},
          {"kind", r.kind},
          {"status", catalog::RunStatusName(r.status)},
          {"cached", r.cached_from.has_value()},
          {"started_at", r.started_at},
          {"finished_at", r.finished_at ? Json(*r.finished_at) : Json(nullptr)}};
}

Status List(const Globals& globals, bool json, int limit) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  ASSIGN_OR_RETURN(auto runs, ws->catalog().ListRuns(limit));
  if (json) {
    Json out = Json::array();
    for (const auto& r : runs) out.push_back(RunSummaryJson(r));
    PrintJson(out);
    return Status::Ok();
  }
  std::vector<std::vector<std::string>> rows = {
      {"RUN", "PIPELINE", "STEP", "KIND", "STATUS", "CACHED", "STARTED"}};
  for (const auto& r : runs) {
    rows.push_back({r.id, r.pipeline, r.step, r.kind, std::string(catalog::RunStatusName(r.status)),
                    r.cached_from ? "yes" : "no", r.started_at});
  }
  fmt::print("{}", FormatTable(rows));
  return Status::Ok();
}

Status Show(const Globals& globals, const std::string& prefix, bool json) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  ASSIGN_OR_RETURN(std::string id, ws->catalog().ResolveRunId(prefix));
  ASSIGN_OR_RETURN(auto run, ws->catalog().GetRun(id));
  ASSIGN_OR_RETURN(auto inputs, ws->catalog().RunInputs(id));
  ASSIGN_OR_RETURN(auto outputs, ws->catalog().RunOutputs(id));
  // A cached run reports the metrics of the run whose outputs it reused.
  ASSIGN_OR_RETURN(auto metrics, ws->catalog().LastMetrics(run.cached_from.value_or(id)));
  Json out = RunSummaryJson(run);
  auto edges = [](const std::vector<catalog::RunEdge>& list) {
    Json a = Json::array();
    for (const auto& e : list) a.push_back({{"role", e.role}, {"artifact", e.artifact_id}});
    return a;
  };
  out["spec"] = run.spec;
  out["spec_digest"] = run.spec_digest;
  out["cache_key"] = run.cache_key;
  out["cached_from"] = run.cached_from ? Json(*run.cached_from) : Json(nullptr);
  out["seed"] = run.seed ? Json(*run.seed) : Json(nullptr);
  out["inputs"] = edges(inputs);
  out["outputs"] = edges(outputs);
  out["metrics"] = metrics;
  out["env"] = run.env;
  out["message"] = run.message;
  if (json) {
    PrintJson(out);
    return Status::Ok();
  }
  fmt::print(
      "run       {}\npipeline  {}  step {}  ({})\nstatus    {}{}\nstarted   {}\nfinished  {}\n",
      run.id, run.pipeline, run.step, run.kind, catalog::RunStatusName(run.status),
      run.cached_from ? " (cached from " + *run.cached_from + ")" : "", run.started_at,
      run.finished_at.value_or("-"));
  if (!run.message.empty()) fmt::print("message   {}\n", run.message);
  fmt::print("inputs\n");
  for (const auto& e : inputs) fmt::print("  {:<10} {}\n", e.role, e.artifact_id);
  fmt::print("outputs\n");
  for (const auto& e : outputs) fmt::print("  {:<10} {}\n", e.role, e.artifact_id);
  fmt::print("metrics (last value)\n");
  for (const auto& [k, v] : metrics) fmt::print("  {:<20} {:.6g}\n", k, v);
  fmt::print("environment\n");
  for (const auto& [k, v] : run.env.items())
    fmt::print("  {:<16} {}\n", k, v.is_string() ? v.get<std::string>() : v.dump());
  return Status::Ok();
}

Status Logs(const Globals& globals, const std::string& prefix) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  ASSIGN_OR_RETURN(std::string id, ws->catalog().ResolveRunId(prefix));
  ASSIGN_OR_RETURN(auto run, ws->catalog().GetRun(id));
  if (run.cached_from) {
    fmt::print(stderr, "run {} reused the outputs of run {}; showing that run's log\n", id,
               *run.cached_from);
    id = *run.cached_from;
  }
  Result<std::string> text = ReadFile(ws->RunDir(id) / "log.txt");
  if (!text.ok()) return text.status().WithContext(fmt::format("log of run {}", id));
  fmt::print("{}", *text);
  return Status::Ok();
}

Status Resume(const Globals& globals, const std::string& prefix, int workers, bool json) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  Stopwatch clock;
  ASSIGN_OR_RETURN(workload::PipelineOutcome outcome, workload::ResumeRun(*ws, prefix, workers));
  if (json) {
    PrintJson(outcome.ToJson());
  } else {
    PrintOutcome(outcome, clock.ElapsedSeconds());
  }
  return outcome.status;
}

}  // namespace

void AddRunsCommands(CLI::App& app, Command& cmd) {
  auto* runs = app.add_subcommand("runs", "Inspect recorded runs");
  runs->require_subcommand(1);

  auto* ls = runs->add_subcommand("ls", "List runs, newest first");
  auto json = std::make_shared<bool>(false);
  auto limit = std::make_shared<int>(50);
  ls->add_flag("--json", *json, "JSON output");
  ls->add_option("--limit", *limit, "At most this many runs")->check(CLI::PositiveNumber);
  ls->callback([&cmd, json, limit] {
    cmd.action = [&cmd, json, limit] { return List(cmd.globals, *json, *limit); };
  });

  auto* show =
      runs->add_subcommand("show", "Show one run: spec, inputs, outputs, metrics, environment");
  auto id = std::make_shared<std::string>();
  auto show_json = std::make_shared<bool>(false);
  show->add_option("run_id", *id, "Run id or unique prefix")->required();
  show->add_flag("--json", *show_json, "JSON output");
  show->callback([&cmd, id, show_json] {
    cmd.action = [&cmd, id, show_json] { return Show(cmd.globals, *id, *show_json); };
  });

  auto* logs = runs->add_subcommand("logs", "Print a run's log");
  auto log_id = std::make_shared<std::string>();
  logs->add_option("run_id", *log_id, "Run id or unique prefix")->required();
  logs->callback(
      [&cmd, log_id] { cmd.action = [&cmd, log_id] { return Logs(cmd.globals, *log_id); }; });

  auto* resume = runs->add_subcommand(
      "resume",
      "Continue an interrupted (failed or cancelled) train run from its newest valid checkpoint, "
      "as a new run");
  auto resume_id = std::make_shared<std::string>();
  auto resume_json = std::make_shared<bool>(false);
  auto resume_workers = std::make_shared<int>(1);
  resume->add_option("run_id", *resume_id, "Run id or unique prefix")->required();
  resume->add_option("--workers", *resume_workers, "Data-parallel processes, as for `run`")
      ->check(CLI::Range(1, 256));
  resume->add_flag("--json", *resume_json, "Print the outcome as JSON");
  resume->callback([&cmd, resume_id, resume_workers, resume_json] {
    cmd.action = [&cmd, resume_id, resume_workers, resume_json] {
      return Resume(cmd.globals, *resume_id, *resume_workers, *resume_json);
    };
  });
}

}  // namespace citadel::cli
