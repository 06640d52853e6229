// kind: train — dataset (and optionally a validation dataset) → model
// artifact {model.safetensors, model.json, ood.safetensors}.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <optional>

#include "base/logging.h"
#include "base/system/files.h"
#include "base/system/interrupt.h"
#include "base/text/byte_size.h"
#include "base/time.h"
#include "ml/inference_session.h"
#include "ml/model_files.h"
#include "ml/ood_detector.h"
#include "ml/training/memory_estimate.h"
#include "ml/training/token_ids.h"
#include "ml/training/trainer.h"
#include "scan/model_scanner.h"
#include "workload/steps/steps.h"
#include "workload/training/checkpoint_store.h"
#include "workload/training/train_workers.h"
#include "workload/training/training_progress.h"

namespace citadel::workload::steps {
namespace {

// resources.memory: refuse before training when the estimate exceeds it.
Status CheckMemoryLimit(const ml::TrainSpec& requested, const ml::DatasetView& train,
                        const ml::DatasetView* validation) {
  // A transformer's embedding is sized by its vocabulary, which may come
  // from the data (Train resolves it the same way).
  ml::TrainSpec spec = requested;
  RETURN_IF_ERROR(ml::ResolveTokenVocabulary(spec, train, validation));
  // A list missing from schema.json counts as empty (Train reports it).
  const auto list_size = [](const Json& parent, const char* key) -> int64_t {
    if (!parent.is_object() || !parent.contains(key) || !parent[key].is_array()) return 0;
    return static_cast<int64_t>(parent[key].size());
  };
  const Json& schema = train.schema;
  const int64_t features = list_size(schema, "features");
  const int64_t classes =
      schema.is_object() && schema.contains("label") ? list_size(schema["label"], "classes") : 0;
  const uint64_t bytes =
      train.safetensors.size() + (validation ? validation->safetensors.size() : 0);
  const ml::TrainingMemory need = ml::EstimateTrainingMemory(spec, features, classes, bytes);
  if (need.total() <= *spec.memory_limit) return Status::Ok();
  return FailedPreconditionError(fmt::format(
      "resources.memory is {} but training {} needs about {} ({}); raise the limit, lower "
      "batch_size, use a smaller model, or train on fewer rows",
      FormatByteSize(*spec.memory_limit), train.name, FormatByteSize(need.total()),
      need.Describe()));
}

// A TorchScript archive holds pickles, which torch's loader reads: it is
// scanned first (src/scan, default policy). A dangerous finding refuses the
// module; suspicious ones are logged.
Status ScanModule(const ml::ScriptedModuleSpec& module) {
  const scan::FileReport report = scan::ScanBytes(module.bytes, module.path, {});
  std::vector<std::string> dangerous;
  for (const scan::Finding& f : report.findings) {
    const std::string where = f.entry.empty() ? f.detail : f.entry + ": " + f.detail;
    if (f.severity == scan::Severity::kDangerous) {
      dangerous.push_back(where);
    } else {
      log::Warning("model/module {}: {} ({})", module.path, where, f.rule);
    }
  }
  if (dangerous.empty()) return Status::Ok();
  return FailedPreconditionError(fmt::format(
      "model/module {}: the model scanner refuses it: {}{}; loading it could run that code. Use "
      "a module exported by torch.jit.script / torch.jit.trace from a trusted source (`citadel "
      "scan {}` lists every finding)",
      module.path,
      fmt::join(dangerous.begin(), dangerous.begin() + std::min<size_t>(3, dangerous.size()), "; "),
      dangerous.size() > 3 ? fmt::format(" (and {} more)", dangerous.size() - 3) : "",
      module.path));
}

// The model's out-of-distribution detector (ml/ood_detector.h) is fitted on
// the training dataset after training. It is fitted here, not in ml::Train:
// only this process (rank 0 of a data-parallel group) writes the model, and
// the detector depends on the data and the final weights alone, so a
// resumed or data-parallel run gets the same one.
//
// Whether to fit one, decided before training: not with `ood: false`, and
// not when the features it would score are too many (an error if the spec
// asked for one).
Result<bool> WantsOodDetector(const ml::TrainSpec& spec, const ml::DatasetView& train) {
  if (!spec.ood.enabled) return false;
  int64_t features = 0;
  std::string what;
  if (spec.ood.space == ml::FeatureSpace::kPenultimate) {
    features = ml::PenultimateWidth(spec.model);
    what = fmt::format("the {}'s penultimate layer has {} activations", spec.model.arch, features);
  } else {
    const Json& schema = train.schema;
    features = schema.is_object() && schema.contains("features") && schema["features"].is_array()
                   ? static_cast<int64_t>(schema["features"].size())
                   : 0;
    what = fmt::format("{} has {} features", train.name, features);
  }
  if (features <= ml::OodDetector::kMaxDims) return true;
  const std::string why = fmt::format("{}; an out-of-distribution detector is fitted for at most {}",
                                      what, ml::OodDetector::kMaxDims);
  if (spec.ood.requested) {
    return FailedPreconditionError(fmt::format(
        "ood: {}: drop ood to train without one, or score fewer features", why));
  }
  log::Info("  no out-of-distribution detector: {}", why);
  return false;
}

Result<ml::OodDetector> FitOodDetector(const ml::TrainSpec& spec, const ml::ModelFiles& model,
                                       const ml::DatasetView& train) {
  Stopwatch clock;
  // The penultimate activations come from the session serving will use, so
  // that training and serving score a row the same way.
  ASSIGN_OR_RETURN(std::unique_ptr<ml::InferenceSession> session,
                   ml::InferenceSession::Load(model, "the trained model"));
  session->SetIntraOpThreads(spec.threads);
  Result<ml::OodDetector> detector = session->FitOodDetector(train, spec.ood.quantile, spec.ood.space);
  if (!detector.ok()) {
    return detector.status().WithContext("fitting the out-of-distribution detector");
  }
  log::Info(
      "  out-of-distribution detector on {} ({} dims): threshold {:.4g} at quantile {} "
      "(covariance on {} rows, threshold on {} {} rows) in {:.2f} s",
      ml::FeatureSpaceName(detector->space()), detector->dims(), detector->threshold(),
      detector->quantile(), detector->fit_rows(),
      detector->calibration_rows() > 0 ? detector->calibration_rows() : detector->fit_rows(),
      detector->calibration_rows() > 0 ? "held-out" : "of the same", clock.ElapsedSeconds());
  return detector;
}

struct CheckpointSettings {
  ml::CheckpointPolicy policy;
  int keep = 3;
};

// checkpoint: { every_steps: N, every_seconds: S, keep: K }. Without it the
// step still checkpoints when interrupted (SIGINT / SIGTERM).
Result<CheckpointSettings> ParseCheckpointSettings(const SpecReader& step) {
  CheckpointSettings out;
  if (!step.Has("checkpoint")) return out;
  SpecReader c = step.Child("checkpoint");
  RETURN_IF_ERROR(c.ExpectObject({"every_steps", "every_seconds", "keep"}));
  ASSIGN_OR_RETURN(out.policy.every_steps, c.Int("every_steps", 1, INT64_MAX, 0));
  ASSIGN_OR_RETURN(out.policy.every_seconds, c.Number("every_seconds", 0.001, 1e9, 0));
  ASSIGN_OR_RETURN(int64_t keep, c.Int("keep", 1, 1000, 3));
  out.keep = static_cast<int>(keep);
  if (!out.policy.enabled()) {
    return c.Error(
        "give every_steps and/or every_seconds (checkpoints are also taken on "
        "SIGINT / SIGTERM without this section)");
  }
  return out;
}

// The data-parallel group this step trains in, if any: the cluster's (this
// process must be rank 0) or `--workers N` local processes started here.
struct TrainingGroup {
  std::unique_ptr<LocalWorkers> workers;
  std::unique_ptr<ml::ProcessGroup> group;
};

Result<TrainingGroup> JoinTrainingGroup(StepContext& ctx, const std::string& resume_id) {
  TrainingGroup out;
  ASSIGN_OR_RETURN(std::optional<ml::DistributedSpec> spec, DistributedSpecFromEnvironment());
  if (spec && spec->rank != 0) {
    return FailedPreconditionError(fmt::format(
        "this process is rank {} (CITADEL_RANK / SLURM_PROCID) but `citadel run` must be rank 0; "
        "start the other ranks with `citadel worker`",
        spec->rank));
  }
  if (!spec && ctx.workers() > 1) {
    spec = ml::DistributedSpec{};
    spec->world_size = ctx.workers();
    ASSIGN_OR_RETURN(spec->master_port, FreeLoopbackPort());
    ASSIGN_OR_RETURN(out.workers, LocalWorkers::Spawn(ctx.workspace(), *spec));
  }
  if (!spec) return out;
  log::Info("  training data-parallel: {} processes (Gloo, rendezvous at {}:{})", spec->world_size,
            spec->master_addr, spec->master_port);
  Result<std::unique_ptr<ml::ProcessGroup>> group = ml::ConnectProcessGroup(*spec);
  if (!group.ok()) {
    std::string failures = out.workers ? out.workers->Failures() : "";
    return failures.empty() ? group.status() : group.status().WithContext(failures);
  }
  out.group = std::move(*group);
  RETURN_IF_ERROR(out.group->Publish(std::string(kGroupRunKey), ctx.run_id()));
  RETURN_IF_ERROR(out.group->Publish(std::string(kGroupResumeKey), resume_id));
  return out;
}

class TrainStep : public StepRunner {
 public:
  Result<StepPlan> Plan(const SpecReader& step,
                        const std::filesystem::path& spec_dir) const override {
    ASSIGN_OR_RETURN(ml::TrainSpec spec, ml::ParseTrainSpec(step, {"dataset", "checkpoint"}));
    RETURN_IF_ERROR(ParseCheckpointSettings(step).status());
    StepPlan plan;
    // How often to checkpoint does not change the model: a run with other
    // checkpoint settings is the same work (cached, or resumed).
    plan.cache_ignores.push_back("checkpoint");
    ASSIGN_OR_RETURN(std::string dataset, step.String("dataset"));
    plan.artifacts.push_back({"train", dataset, "dataset"});
    if (step.Has("validation")) {
      ASSIGN_OR_RETURN(std::string validation, step.String("validation"));
      plan.artifacts.push_back({"validation", validation, "validation"});
    }
    if (spec.model.arch == "torchscript") {
      // The module is stored as a source input: the run's lineage and cache
      // key then hold its digest.
      std::filesystem::path module = spec.model.module.path;
      if (module.is_relative()) module = spec_dir / module;
      plan.files.push_back({std::string(kModuleRole), module.lexically_normal(), "model/module"});
    }
    plan.seed = static_cast<int64_t>(spec.seed);
    plan.threads = spec.threads;
    plan.uses_ml = true;
    return plan;
  }

  Status Execute(StepContext& ctx) const override {
    ASSIGN_OR_RETURN(ml::TrainSpec spec, ml::ParseTrainSpec(ctx.spec(), {"dataset", "checkpoint"}));
    ASSIGN_OR_RETURN(CheckpointSettings checkpoints, ParseCheckpointSettings(ctx.spec()));
    ASSIGN_OR_RETURN(const LoadedArtifact* input, ctx.Input("train"));
    ASSIGN_OR_RETURN(ml::DatasetView train, LoadDatasetView(ctx.workspace(), *input));
    std::optional<ml::DatasetView> validation;
    if (ctx.spec().Has("validation")) {
      ASSIGN_OR_RETURN(const LoadedArtifact* val_input, ctx.Input("validation"));
      ASSIGN_OR_RETURN(validation, LoadDatasetView(ctx.workspace(), *val_input));
    }
    if (spec.model.arch == "torchscript") {
      ASSIGN_OR_RETURN(const LoadedArtifact* module, ctx.Input(std::string(kModuleRole)));
      ASSIGN_OR_RETURN(spec.model.module.bytes, ReadSingleFile(ctx.workspace(), *module));
      RETURN_IF_ERROR(ScanModule(spec.model.module));
    }

    if (spec.memory_limit) {
      RETURN_IF_ERROR(CheckMemoryLimit(spec, train, validation ? &*validation : nullptr));
    }
    ASSIGN_OR_RETURN(const bool wants_ood, WantsOodDetector(spec, train));

    std::optional<ResumePoint> resume;
    Stopwatch resume_clock;
    if (ctx.resume().enabled) {
      ASSIGN_OR_RETURN(resume,
                       FindResumePoint(ctx.workspace(), ctx.cache_key(), ctx.resume().run_id));
    }
    const double resume_read_seconds = resume_clock.ElapsedSeconds();
    if (resume) {
      log::Info("  resuming run {} from checkpoint {} (step {}, {} epochs done)", resume->run_id,
                resume->checkpoint_id, resume->step, resume->epoch);
      RETURN_IF_ERROR(ctx.AddInput("resume_from", resume->checkpoint_id));
    } else if (ctx.resume().run_id) {
      return FailedPreconditionError(fmt::format(
          "run {} has no usable checkpoint to resume from; run the pipeline again to start over",
          *ctx.resume().run_id));
    }

    std::vector<ml::EpochMetrics> history;
    TrainingProgress progress(ctx);
    CheckpointWriter writer(ctx, checkpoints.keep);
    // Every epoch's metrics go on this run, those a resumed checkpoint
    // carries included, so that its series are complete.
    auto record_epoch = [&](const ml::EpochMetrics& m) -> Status {
      history.push_back(m);
      if (m.val_loss) {
        RETURN_IF_ERROR(ctx.AddMetric("val_loss", m.epoch, *m.val_loss));
        RETURN_IF_ERROR(ctx.AddMetric("val_accuracy", m.epoch, *m.val_accuracy));
      }
      RETURN_IF_ERROR(ctx.AddMetric("lr", m.epoch, m.lr));
      RETURN_IF_ERROR(ctx.AddMetric("loss", m.epoch, m.loss));
      RETURN_IF_ERROR(ctx.AddMetric("accuracy", m.epoch, m.accuracy));
      return ctx.AddMetric("samples_per_second", m.epoch, m.samples_per_second);
    };
    auto on_epoch = [&](const ml::EpochMetrics& m) -> Status {
      progress.Clear();
      std::string val;
      if (m.val_loss) {
        val = fmt::format(", val_loss {:.4f}, val_accuracy {:.4f}", *m.val_loss, *m.val_accuracy);
      }
      log::Info("  epoch {}/{}: lr {:.3g}, loss {:.4f}, accuracy {:.4f}{}, {:.0f} samples/s",
                m.epoch, spec.epochs, m.lr, m.loss, m.accuracy, val, m.samples_per_second);
      RETURN_IF_ERROR(progress.status());
      return record_epoch(m);
    };
    Status write_status;
    ml::TrainHooks hooks;
    hooks.on_epoch = on_epoch;
    hooks.on_resume = [&](const std::vector<ml::EpochMetrics>& done,
                          double restore_seconds) -> Status {
      const double gb = static_cast<double>(resume->bytes().size()) / 1e9;
      log::Info(
          "  restored {:.1f} MB: read and verified in {:.3f} s, loaded in {:.3f} s ({:.2f} "
          "GB/s overall)",
          gb * 1e3, resume_read_seconds, restore_seconds,
          gb / std::max(1e-9, resume_read_seconds + restore_seconds));
      RETURN_IF_ERROR(
          ctx.AddSummaryMetric("resume_seconds", resume_read_seconds + restore_seconds));
      for (const ml::EpochMetrics& m : done) RETURN_IF_ERROR(record_epoch(m));
      return Status::Ok();
    };
    hooks.on_step = [&](const ml::StepProgress& p) {
      progress.OnStep(p);
      if (write_status.ok()) write_status = writer.Poll();
    };
    hooks.checkpoint = checkpoints.policy;
    hooks.on_checkpoint = [&](std::unique_ptr<ml::CheckpointSnapshot> snapshot,
                              bool final) -> Status {
      RETURN_IF_ERROR(write_status);
      if (final) progress.Clear();
      return writer.Submit(std::move(snapshot), final);
    };
    InterruptScope interrupt_scope;
    hooks.interrupt = &InterruptScope::signal();
    if (resume) hooks.resume_from = resume->bytes();
    ASSIGN_OR_RETURN(TrainingGroup group,
                     JoinTrainingGroup(ctx, resume ? resume->checkpoint_id : std::string()));
    hooks.group = group.group.get();

    Result<ml::ModelFiles> model =
        ml::Train(spec, train, validation ? &*validation : nullptr, hooks);
    progress.Clear();
    if (group.workers) {
      if (model.ok()) {
        Status workers_done = group.workers->Wait(60);
        if (!workers_done.ok()) model = workers_done.WithContext("data-parallel training");
      } else {
        // A worker that died is usually why training failed: say so.
        std::string failures = group.workers->FailuresWithin(3.0);
        group.workers->Stop();
        if (!failures.empty()) model = model.status().WithContext(failures);
      }
    }
    // Whatever happened, the checkpoint in flight is finished and recorded:
    // after an error it is the state to resume from.
    Status flushed = writer.Flush();
    if (!model.ok()) {
      Status status = model.status();
      if (writer.last()) {
        // Resuming an interrupted run carries on; resuming a diverged one
        // would diverge again, so that needs a changed spec first.
        const std::string how =
            status.code() == StatusCode::kCancelled
                ? fmt::format("`citadel run` resumes from it, or `citadel runs resume {}`",
                              ctx.run_id())
                : "after fixing the cause, `citadel run` resumes from it if the step's spec is "
                  "unchanged, or starts over if it changed";
        status = Status(status.code(),
                        fmt::format("{}; the last good checkpoint is {} (step {}, {} epochs "
                                    "done); {}",
                                    status.message(), writer.last()->id, writer.last()->step,
                                    writer.last()->epoch, how));
      }
      return status.WithContext(fmt::format("training on {}", input->record.name));
    }
    RETURN_IF_ERROR(flushed);
    RETURN_IF_ERROR(write_status);
    if (writer.count() > 0) {
      log::Info("  {} checkpoints blocked training for {:.3f} s in all ({:.1f} ms each)",
                writer.count(), writer.blocked_seconds(),
                1e3 * writer.blocked_seconds() / writer.count());
      RETURN_IF_ERROR(ctx.AddSummaryMetric("checkpoints", writer.count()));
      RETURN_IF_ERROR(ctx.AddSummaryMetric("checkpoint_blocked_seconds", writer.blocked_seconds()));
    }

    // The summary describes the weights that were kept: with early stopping,
    // the best epoch's rather than the last one's.
    const Json& stopping = model->model_json["training"]["early_stopping"];
    const ml::EpochMetrics& kept =
        stopping.is_object() && stopping["best_epoch"].get<int64_t>() > 0
            ? history[static_cast<size_t>(stopping["best_epoch"].get<int64_t>() - 1)]
            : history.back();
    if (stopping.is_object()) {
      log::Info("  early stopping on {}: {} at epoch {}; kept epoch {}",
                spec.early_stopping->metric,
                stopping["stopped_early"].get<bool>() ? "stopped" : "ran every epoch",
                stopping["stopped_epoch"].get<int64_t>(), kept.epoch);
      RETURN_IF_ERROR(ctx.AddSummaryMetric("best_epoch", static_cast<double>(kept.epoch)));
    }
    RETURN_IF_ERROR(ctx.AddSummaryMetric("train_loss", kept.loss));
    RETURN_IF_ERROR(ctx.AddSummaryMetric("train_accuracy", kept.accuracy));
    if (kept.val_loss) {
      RETURN_IF_ERROR(ctx.AddSummaryMetric("val_loss", *kept.val_loss));
      RETURN_IF_ERROR(ctx.AddSummaryMetric("val_accuracy", *kept.val_accuracy));
    }
    std::optional<ml::OodDetector> ood;
    if (wants_ood) {
      ASSIGN_OR_RETURN(ood, FitOodDetector(spec, *model, train));
    }
    ASSIGN_OR_RETURN(auto dir, ctx.ScratchDir("model"));
    RETURN_IF_ERROR(WriteFileAtomic(dir / "model.safetensors", model->safetensors));
    RETURN_IF_ERROR(WriteFileAtomic(dir / "model.json", PrettyJson(model->model_json)));
    if (!model->torchscript.empty()) {
      RETURN_IF_ERROR(WriteFileAtomic(dir / ml::kScriptedModuleFile, model->torchscript));
    }
    if (ood) RETURN_IF_ERROR(WriteFileAtomic(dir / ml::kOodDetectorFile, ood->ToSafetensors()));
    Json metadata = {{"architecture", model->model_json["architecture"]},
                     {"classes", model->model_json["output"]["classes"].size()},
                     {"features", model->model_json["input"]["features"].size()}};
    if (ood) metadata["ood"] = ood->Summary();
    ASSIGN_OR_RETURN(std::string id,
                     ctx.AddOutputDir("model", dir, "model", kModelMediaType, metadata));
    log::Info("  model → {}", id);
    return Status::Ok();
  }
};

}  // namespace

std::unique_ptr<StepRunner> MakeTrainStep() { return std::make_unique<TrainStep>(); }

}  // namespace citadel::workload::steps
