#include "workload/pipeline/pipeline_runner.h"

#include <fmt/format.h>
#include <signal.h>

#include "base/ids.h"
#include "base/logging.h"
#include "base/system/host_info.h"
#include "base/time.h"
#include "base/version.h"
#include "crypto/sha256.h"
#include "ml/runtime_info.h"
#include "workload/env_capture.h"
#include "workload/pipeline/pipeline_spec.h"
#include "workload/pipeline/step_runner.h"
#include "workload/ref_resolver.h"
#include "workload/run_recorder.h"

namespace citadel::workload {

Json PipelineOutcome::ToJson() const {
  Json steps_json = Json::array();
  for (const auto& s : steps) {
    Json step = {{"name", s.name},      {"kind", s.kind},       {"status", s.status},
                 {"cached", s.cached},  {"outputs", s.outputs}, {"metrics", s.metrics},
                 {"seconds", s.seconds}};
    step["run_id"] = s.run_id.empty() ? Json(nullptr) : Json(s.run_id);
    if (!s.error.empty()) step["error"] = s.error;
    steps_json.push_back(std::move(step));
  }
  Json out = {{"pipeline", pipeline},
              {"steps", steps_json},
              {"status", status.ok() ? "succeeded" : "failed"}};
  if (!status.ok()) out["error"] = status.ToString();
  return out;
}

Result<int> ReapAbandonedRuns(Workspace& ws) {
  ASSIGN_OR_RETURN(auto runs, ws.catalog().RunsWithStatus(catalog::RunStatus::kRunning));
  std::string host = Hostname();
  std::vector<std::string> dead;
  for (const auto& r : runs) {
    if (r.env.value("hostname", "") != host) continue;
    int64_t pid = r.env.value("pid", int64_t{0});
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) dead.push_back(r.id);
  }
  if (dead.empty()) return 0;
  RETURN_IF_ERROR(ws.catalog().MarkAbandonedRuns(
      dead, "the process running this step died (killed or crashed)"));
  for (const auto& id : dead)
    log::Warning("run {} was left running by a process that died; marked failed", id);
  return static_cast<int>(dead.size());
}

namespace {

struct PlannedStep {
  StepDecl decl;
  const StepRunner* runner;
  StepPlan plan;
};

// "prepare.train" → ("prepare", "train") when "prepare" is a step of this pipeline.
std::optional<std::pair<std::string, std::string>> SplitStepRef(
    const std::string& ref, const std::vector<PlannedStep>& steps) {
  size_t dot = ref.find('.');
  if (dot == std::string::npos) return std::nullopt;
  std::string step = ref.substr(0, dot);
  for (const auto& s : steps) {
    if (s.decl.name == step) return std::make_pair(step, ref.substr(dot + 1));
  }
  return std::nullopt;
}

Result<std::vector<PlannedStep>> PlanAll(const PipelineSpec& spec) {
  std::vector<PlannedStep> planned;
  for (const StepDecl& decl : spec.steps) {
    const StepRunner* runner = FindStepRunner(decl.kind);
    SpecReader reader = spec.Reader(decl);
    ASSIGN_OR_RETURN(StepPlan plan, runner->Plan(reader, spec.dir));
    // A reference to a step must point at an earlier one: steps run in order.
    for (const auto& input : plan.artifacts) {
      auto ref = SplitStepRef(input.ref, planned);
      size_t dot = input.ref.find('.');
      bool names_any_step =
          std::any_of(spec.steps.begin(), spec.steps.end(), [&](const StepDecl& d) {
            return dot != std::string::npos && d.name == input.ref.substr(0, dot);
          });
      if (!ref && names_any_step) {
        return reader.FieldError(
            input.field, fmt::format("'{}' refers to step '{}', which comes later in the pipeline; "
                                     "a step can only use outputs of steps above it",
                                     input.ref, input.ref.substr(0, dot)));
      }
    }
    planned.push_back({decl, runner, std::move(plan)});
  }
  return planned;
}

std::string CacheKey(const std::string& kind, Json step_json, const StepPlan& plan,
                     const std::map<std::string, std::string>& inputs, int workers) {
  for (const std::string& field : plan.cache_ignores) step_json.erase(field);
  Json key = {
      {"citadel", CitadelVersion()}, {"kind", kind}, {"spec", step_json}, {"inputs", inputs}};
  // Data-parallel training gives other (equally good) weights than one
  // process: a model trained by N processes is its own cache entry.
  if (plan.uses_ml && workers > 1) key["workers"] = workers;
  return crypto::Sha256::Of(CanonicalJson(key)).Id();
}

// One step to execute as a new recorded run: by a pipeline, or by
// `runs resume`.
struct StepInvocation {
  std::string pipeline;
  std::string step;
  std::string kind;
  const StepRunner* runner = nullptr;
  const SpecReader* reader = nullptr;
  std::filesystem::path spec_dir;
  const StepPlan* plan = nullptr;
  std::map<std::string, std::string> input_ids;  // role → artifact id
  std::string cache_key;
  ResumeOptions resume;
  int workers = 1;
};

catalog::RunRecord NewRunRecord(const StepInvocation& step) {
  catalog::RunRecord run;
  run.pipeline = step.pipeline;
  run.step = step.step;
  run.kind = step.kind;
  run.spec = step.reader->json();
  run.spec_digest = crypto::Sha256::Of(CanonicalJson(step.reader->json())).Id();
  run.cache_key = step.cache_key;
  run.seed = step.plan->seed;
  run.env = CaptureRunEnvironment(step.plan->threads, nullptr);
  return run;
}

// Records a run, executes the step in it and finishes the run: succeeded,
// cancelled (interrupted by a signal) or failed.
Status ExecuteStep(Workspace& ws, const StepInvocation& step, catalog::RunRecord run,
                   StepOutcome& outcome) {
  Stopwatch clock;
  if (step.plan->uses_ml) {
    // Loaded here, after the cache check: a cached step never pays for it.
    ASSIGN_OR_RETURN(ml::RuntimeInfo runtime, ml::LoadRuntime());
    run.env = CaptureRunEnvironment(step.plan->threads, &runtime);
  }
  log::Info("step {} ({}): running", step.step, step.kind);
  ASSIGN_OR_RETURN(auto recorder, RunRecorder::Start(ws, run));
  outcome.run_id = recorder->run_id();
  std::map<std::string, LoadedArtifact> inputs;
  Status status;
  for (const auto& [role, id] : step.input_ids) {
    status = recorder->AddInput(role, id);
    if (!status.ok()) break;
    Result<LoadedArtifact> artifact = LoadArtifact(ws, id);
    if (!artifact.ok()) {
      status = artifact.status();
      break;
    }
    inputs.emplace(role, std::move(*artifact));
  }
  StepContext ctx(ws, *recorder, *step.reader, step.spec_dir, step.pipeline, step.step,
                  std::move(inputs));
  ctx.set_cache_key(step.cache_key);
  ctx.set_resume(step.resume);
  ctx.set_workers(step.workers);
  if (status.ok()) status = step.runner->Execute(ctx);
  outcome.outputs = ctx.outputs();
  outcome.metrics = ctx.summary();
  outcome.seconds += clock.ElapsedSeconds();
  if (!status.ok()) {
    const bool cancelled = status.code() == StatusCode::kCancelled;
    log::Error("step {} {}: {}", step.step, cancelled ? "interrupted" : "failed",
               status.ToString());
    recorder
        ->Finish(cancelled ? catalog::RunStatus::kCancelled : catalog::RunStatus::kFailed,
                 status.ToString())
        .IgnoreError();
    return status.WithContext(fmt::format("step {}", step.step));
  }
  RETURN_IF_ERROR(recorder->Finish(catalog::RunStatus::kSucceeded, ""));
  log::Info("step {} ({}): succeeded in {:.2f} s", step.step, step.kind, outcome.seconds);
  return Status::Ok();
}

class PipelineExecution {
 public:
  PipelineExecution(Workspace& ws, const PipelineSpec& spec, const RunOptions& options)
      : ws_(ws), spec_(spec), options_(options) {}

  // Executes one planned step; fills `outcome`.
  Status RunStep(const PlannedStep& step, StepOutcome& outcome) {
    Stopwatch clock;
    outcome.name = step.decl.name;
    outcome.kind = step.decl.kind;
    SpecReader reader = spec_.Reader(step.decl);

    std::map<std::string, std::string> input_ids;  // role → artifact id
    for (const auto& file : step.plan.files) {
      NewArtifact info{"source",
                       file.path.filename().string(),
                       kSourceMediaType,
                       std::nullopt,
                       {{"original_path", file.path.string()}}};
      Result<std::string> id =
          StoreArtifactFile(ws_, file.path, file.path.filename().string(), info);
      if (!id.ok()) return InField(reader, file.field, id.status());
      input_ids[file.role] = *id;
    }
    for (const auto& input : step.plan.artifacts) {
      Result<std::string> id = ResolveInput(input.ref, step);
      if (!id.ok()) return InField(reader, input.field, id.status());
      input_ids[input.role] = *id;
    }

    StepInvocation invocation{
        spec_.name,
        step.decl.name,
        step.decl.kind,
        step.runner,
        &reader,
        spec_.dir,
        &step.plan,
        input_ids,
        CacheKey(step.decl.kind, reader.json(), step.plan, input_ids, options_.workers),
        ResumeOptions{!options_.force, std::nullopt},
        options_.workers};
    catalog::RunRecord run = NewRunRecord(invocation);

    if (!options_.force) {
      ASSIGN_OR_RETURN(auto hit, ws_.catalog().FindCachedRun(invocation.cache_key));
      if (hit) {
        Result<bool> reused = RecordCachedRun(run, *hit, input_ids, outcome);
        if (!reused.ok()) return reused.status();
        if (*reused) {
          outcome.seconds = clock.ElapsedSeconds();
          log::Info("step {} ({}): cached, reusing run {}", step.decl.name, step.decl.kind,
                    hit->id);
          return Status::Ok();
        }
      }
    }
    outcome.seconds = clock.ElapsedSeconds();
    RETURN_IF_ERROR(ExecuteStep(ws_, invocation, std::move(run), outcome));
    step_outputs_[step.decl.name] = outcome.outputs;
    return Status::Ok();
  }

 private:
  // "pipeline.yaml:12: input/csv: <message>", keeping the status code.
  Status InField(const SpecReader& step, const std::string& field, const Status& status) const {
    return Status(status.code(),
                  fmt::format("{}: {}: {}", spec_.doc.Where(step.pointer() + "/" + field), field,
                              status.message()));
  }

  Result<std::string> ResolveInput(const std::string& ref, const PlannedStep& step) {
    size_t dot = ref.find('.');
    if (dot != std::string::npos) {
      auto it = step_outputs_.find(ref.substr(0, dot));
      if (it != step_outputs_.end()) {
        auto role = it->second.find(ref.substr(dot + 1));
        if (role == it->second.end()) {
          std::string roles;
          for (const auto& [r, unused] : it->second) roles += (roles.empty() ? "" : ", ") + r;
          return NotFoundError(fmt::format("step '{}' has no output '{}' (its outputs: {})",
                                           it->first, ref.substr(dot + 1),
                                           roles.empty() ? "none" : roles));
        }
        return role->second;
      }
    }
    return ResolveArtifactRef(ws_.catalog(), ref);
  }

  // Records a run that reuses `hit`'s outputs. false (nothing recorded) when
  // an output's blobs are gone and the step must run again.
  Result<bool> RecordCachedRun(catalog::RunRecord run, const catalog::RunRecord& hit,
                               const std::map<std::string, std::string>& input_ids,
                               StepOutcome& outcome) {
    ASSIGN_OR_RETURN(auto outputs, ws_.catalog().RunOutputs(hit.id));
    for (const auto& o : outputs) {
      if (!ArtifactBlobsPresent(ws_, o.artifact_id)) {
        log::Warning("step {}: cached output {} has missing blobs; running the step again",
                     run.step, o.artifact_id);
        return false;
      }
    }
    run.id = NewUuidV7();
    run.status = catalog::RunStatus::kSucceeded;
    run.cached_from = hit.id;
    run.started_at = NowIso8601();
    run.finished_at = run.started_at;
    std::vector<catalog::RunEdge> inputs;
    for (const auto& [role, id] : input_ids) inputs.push_back({run.id, id, role});
    RETURN_IF_ERROR(ws_.catalog().CreateRunWithEdges(run, inputs, outputs));
    for (const auto& o : outputs) outcome.outputs[o.role] = o.artifact_id;
    ASSIGN_OR_RETURN(auto metrics, ws_.catalog().Metrics(hit.id));
    for (const auto& m : metrics) {
      if (m.step == 0) outcome.metrics[m.key] = m.value;
    }
    outcome.run_id = run.id;
    outcome.cached = true;
    step_outputs_[run.step] = outcome.outputs;
    return true;
  }

  Workspace& ws_;
  const PipelineSpec& spec_;
  const RunOptions& options_;
  std::map<std::string, std::map<std::string, std::string>> step_outputs_;  // step → role → id
};

}  // namespace

Result<PipelineOutcome> RunPipeline(Workspace& ws, const std::filesystem::path& spec_path,
                                    const RunOptions& options) {
  ASSIGN_OR_RETURN(PipelineSpec spec, LoadPipelineSpec(spec_path));
  ASSIGN_OR_RETURN(std::vector<PlannedStep> planned, PlanAll(spec));
  RETURN_IF_ERROR(ReapAbandonedRuns(ws));

  PipelineOutcome outcome;
  outcome.pipeline = spec.name;
  PipelineExecution execution(ws, spec, options);
  for (const PlannedStep& step : planned) {
    StepOutcome result;
    if (!outcome.status.ok()) {
      result.name = step.decl.name;
      result.kind = step.decl.kind;
      result.status = "skipped";
      outcome.steps.push_back(std::move(result));
      continue;
    }
    Status s = execution.RunStep(step, result);
    result.status = s.ok()                               ? "succeeded"
                    : s.code() == StatusCode::kCancelled ? "cancelled"
                                                         : "failed";
    if (!s.ok()) {
      result.error = s.ToString();
      outcome.status = s;
    }
    outcome.steps.push_back(std::move(result));
  }
  return outcome;
}

Result<PipelineOutcome> ResumeRun(Workspace& ws, const std::string& run_id, int workers) {
  RETURN_IF_ERROR(ReapAbandonedRuns(ws).status());
  ASSIGN_OR_RETURN(std::string id, ws.catalog().ResolveRunId(run_id));
  ASSIGN_OR_RETURN(catalog::RunRecord old, ws.catalog().GetRun(id));
  if (old.kind != "train") {
    return FailedPreconditionError(fmt::format(
        "run {} is a {} step; only train steps checkpoint and can be resumed", id, old.kind));
  }
  if (old.status != catalog::RunStatus::kFailed && old.status != catalog::RunStatus::kCancelled) {
    return FailedPreconditionError(
        fmt::format("run {} is {}; only a failed or cancelled run can be resumed", id,
                    catalog::RunStatusName(old.status)));
  }
  const StepRunner* runner = FindStepRunner(old.kind);
  YamlDocument doc{fmt::format("run {} spec", id), old.spec, {}};
  SpecReader reader(doc, "");
  ASSIGN_OR_RETURN(StepPlan plan, runner->Plan(reader, std::filesystem::current_path()));
  std::map<std::string, std::string> input_ids;
  ASSIGN_OR_RETURN(auto edges, ws.catalog().RunInputs(id));
  for (const catalog::RunEdge& edge : edges) {
    if (edge.role != "resume_from") input_ids[edge.role] = edge.artifact_id;
  }
  StepInvocation invocation{old.pipeline,  old.step,
                            old.kind,      runner,
                            &reader,       std::filesystem::current_path(),
                            &plan,         input_ids,
                            old.cache_key, ResumeOptions{true, id},
                            workers};
  catalog::RunRecord run = NewRunRecord(invocation);
  StepOutcome outcome;
  outcome.name = old.step;
  outcome.kind = old.kind;
  Status status = ExecuteStep(ws, invocation, std::move(run), outcome);
  outcome.status = status.ok()                               ? "succeeded"
                   : status.code() == StatusCode::kCancelled ? "cancelled"
                                                             : "failed";
  if (!status.ok()) outcome.error = status.ToString();
  PipelineOutcome result;
  result.pipeline = old.pipeline;
  result.status = status;
  result.steps.push_back(std::move(outcome));
  return result;
}

}  // namespace citadel::workload
