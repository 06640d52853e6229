// citadel init, citadel run.
#include <fmt/format.h>

#include "base/logging.h"
#include "base/time.h"
#include "cli.h"
#include "workload/pipeline/pipeline_runner.h"
#include "workload/training/train_workers.h"

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

}  // namespace

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

namespace {

Status Run(const Globals& globals, const std::string& spec, bool force, int workers, bool json) {
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(globals));
  Stopwatch clock;
  ASSIGN_OR_RETURN(workload::PipelineOutcome outcome,
                   workload::RunPipeline(*ws, spec, {.force = force, .workers = workers}));
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
  auto workers = std::make_shared<int>(1);
  run->add_option("spec", *spec, "Pipeline spec (YAML)")->required()->check(CLI::ExistingFile);
  run->add_option("--workers", *workers,
                  "Train steps train data-parallel in N local processes (Gloo); across machines, "
                  "set CITADEL_WORLD_SIZE / CITADEL_RANK / CITADEL_MASTER_ADDR / "
                  "CITADEL_MASTER_PORT and start the other ranks with `citadel worker`")
      ->check(CLI::Range(1, 256));
  run->add_flag("--force", *force,
                "Re-execute every step even when cached; interrupted train steps start over "
                "instead of resuming from their checkpoints");
  run->add_flag("--json", *json, "Print the outcome as JSON");
  run->callback([&cmd, spec, force, workers, json] {
    cmd.action = [&cmd, spec, force, workers, json] {
      return Run(cmd.globals, *spec, *force, *workers, *json);
    };
  });

  auto* worker = app.add_subcommand(
      "worker",
      "Join a data-parallel training group as one rank (started by `citadel run --workers N`, "
      "or by a cluster scheduler on each node)");
  auto dist = std::make_shared<ml::DistributedSpec>();
  auto master = std::make_shared<std::string>();
  worker->add_option("--rank", dist->rank, "This process's rank (default: $CITADEL_RANK)");
  worker->add_option("--world", dist->world_size,
                     "Processes in the group (default: $CITADEL_WORLD_SIZE)");
  worker->add_option("--master", *master,
                     "HOST:PORT of rank 0 (default: $CITADEL_MASTER_ADDR:$CITADEL_MASTER_PORT)");
  worker
      ->add_option("--timeout", dist->timeout_seconds,
                   "Seconds to wait for the group and for each collective")
      ->check(CLI::PositiveNumber);
  worker->callback([&cmd, worker, dist, master] {
    cmd.action = [&cmd, worker, dist, master]() -> Status {
      ml::DistributedSpec spec = *dist;
      ASSIGN_OR_RETURN(std::optional<ml::DistributedSpec> env,
                       workload::DistributedSpecFromEnvironment());
      if (env) {
        if (worker->count("--rank") == 0) spec.rank = env->rank;
        if (worker->count("--world") == 0) spec.world_size = env->world_size;
        spec.master_addr = env->master_addr;
        spec.master_port = env->master_port;
      }
      if (!master->empty()) {
        const size_t colon = master->rfind(':');
        if (colon == std::string::npos) {
          return InvalidArgumentError(fmt::format("--master '{}' is not HOST:PORT", *master));
        }
        spec.master_addr = master->substr(0, colon);
        try {
          spec.master_port = std::stoi(master->substr(colon + 1));
        } catch (const std::exception&) {
          return InvalidArgumentError(fmt::format("--master '{}' is not HOST:PORT", *master));
        }
      }
      if (spec.world_size < 2 || spec.rank < 1 || spec.rank >= spec.world_size) {
        return InvalidArgumentError(fmt::format(
            "a worker needs a rank in 1…world-1 and a world of 2 or more (got rank {} of {}); "
            "rank 0 is `citadel run`",
            spec.rank, spec.world_size));
      }
      ASSIGN_OR_RETURN(auto ws, OpenWorkspace(cmd.globals));
      return workload::RunTrainWorker(*ws, spec);
    };
  });
}

}  // namespace citadel::cli
