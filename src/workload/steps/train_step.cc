// kind: train — dataset (and optionally a validation dataset) → model
// artifact {model.safetensors, model.json}.
#include <fmt/format.h>

#include "base/logging.h"
#include "base/system/files.h"
#include "base/text/byte_size.h"
#include "ml/training/memory_estimate.h"
#include "ml/training/trainer.h"
#include "workload/steps/steps.h"

namespace citadel::workload::steps {
namespace {

// resources.memory: refuse before training when the estimate exceeds it.
Status CheckMemoryLimit(const ml::TrainSpec& spec, const ml::DatasetView& train,
                        const ml::DatasetView* validation) {
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

class TrainStep : public StepRunner {
 public:
  Result<StepPlan> Plan(const SpecReader& step, const std::filesystem::path&) const override {
    ASSIGN_OR_RETURN(ml::TrainSpec spec, ml::ParseTrainSpec(step, {"dataset"}));
    StepPlan plan;
    ASSIGN_OR_RETURN(std::string dataset, step.String("dataset"));
    plan.artifacts.push_back({"train", dataset, "dataset"});
    if (step.Has("validation")) {
      ASSIGN_OR_RETURN(std::string validation, step.String("validation"));
      plan.artifacts.push_back({"validation", validation, "validation"});
    }
    plan.seed = static_cast<int64_t>(spec.seed);
    plan.threads = spec.threads;
    plan.uses_ml = true;
    return plan;
  }

  Status Execute(StepContext& ctx) const override {
    ASSIGN_OR_RETURN(ml::TrainSpec spec, ml::ParseTrainSpec(ctx.spec(), {"dataset"}));
    ASSIGN_OR_RETURN(const LoadedArtifact* input, ctx.Input("train"));
    ASSIGN_OR_RETURN(ml::DatasetView train, LoadDatasetView(ctx.workspace(), *input));
    std::optional<ml::DatasetView> validation;
    if (ctx.spec().Has("validation")) {
      ASSIGN_OR_RETURN(const LoadedArtifact* val_input, ctx.Input("validation"));
      ASSIGN_OR_RETURN(validation, LoadDatasetView(ctx.workspace(), *val_input));
    }

    if (spec.memory_limit) {
      RETURN_IF_ERROR(CheckMemoryLimit(spec, train, validation ? &*validation : nullptr));
    }

    std::vector<ml::EpochMetrics> history;
    auto on_epoch = [&](const ml::EpochMetrics& m) -> Status {
      history.push_back(m);
      std::string val;
      if (m.val_loss) {
        val = fmt::format(", val_loss {:.4f}, val_accuracy {:.4f}", *m.val_loss, *m.val_accuracy);
        RETURN_IF_ERROR(ctx.AddMetric("val_loss", m.epoch, *m.val_loss));
        RETURN_IF_ERROR(ctx.AddMetric("val_accuracy", m.epoch, *m.val_accuracy));
      }
      log::Info("  epoch {}/{}: lr {:.3g}, loss {:.4f}, accuracy {:.4f}{}, {:.0f} samples/s",
                m.epoch, spec.epochs, m.lr, m.loss, m.accuracy, val, m.samples_per_second);
      RETURN_IF_ERROR(ctx.AddMetric("lr", m.epoch, m.lr));
      RETURN_IF_ERROR(ctx.AddMetric("loss", m.epoch, m.loss));
      RETURN_IF_ERROR(ctx.AddMetric("accuracy", m.epoch, m.accuracy));
      return ctx.AddMetric("samples_per_second", m.epoch, m.samples_per_second);
    };
    Result<ml::ModelFiles> model =
        ml::Train(spec, train, on_epoch, validation ? &*validation : nullptr);
    if (!model.ok())
      return model.status().WithContext(fmt::format("training on {}", input->record.name));

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
    ASSIGN_OR_RETURN(auto dir, ctx.ScratchDir("model"));
    RETURN_IF_ERROR(WriteFileAtomic(dir / "model.safetensors", model->safetensors));
    RETURN_IF_ERROR(WriteFileAtomic(dir / "model.json", PrettyJson(model->model_json)));
    Json metadata = {{"architecture", model->model_json["architecture"]},
                     {"classes", model->model_json["output"]["classes"].size()},
                     {"features", model->model_json["input"]["features"].size()}};
    ASSIGN_OR_RETURN(std::string id,
                     ctx.AddOutputDir("model", dir, "model", kModelMediaType, metadata));
    log::Info("  model → {}", id);
    return Status::Ok();
  }
};

}  // namespace

std::unique_ptr<StepRunner> MakeTrainStep() { return std::make_unique<TrainStep>(); }

}  // namespace citadel::workload::steps
