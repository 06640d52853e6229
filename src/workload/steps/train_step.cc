// kind: train — dataset → model artifact {model.safetensors, model.json}.
#include <fmt/format.h>

#include "base/logging.h"
#include "base/system/files.h"
#include "ml/trainer.h"
#include "workload/steps/steps.h"

namespace citadel::workload::steps {
namespace {

class TrainStep : public StepRunner {
 public:
  Result<StepPlan> Plan(const SpecReader& step, const std::filesystem::path&) const override {
    ASSIGN_OR_RETURN(ml::TrainSpec spec, ml::ParseTrainSpec(step, {"dataset"}));
    StepPlan plan;
    ASSIGN_OR_RETURN(std::string dataset, step.String("dataset"));
    plan.artifacts.push_back({"train", dataset, "dataset"});
    plan.seed = static_cast<int64_t>(spec.seed);
    plan.threads = spec.threads;
    plan.uses_ml = true;
    return plan;
  }

  Status Execute(StepContext& ctx) const override {
    ASSIGN_OR_RETURN(ml::TrainSpec spec, ml::ParseTrainSpec(ctx.spec(), {"dataset"}));
    ASSIGN_OR_RETURN(const LoadedArtifact* input, ctx.Input("train"));
    ASSIGN_OR_RETURN(ml::DatasetView train, LoadDatasetView(ctx.workspace(), *input));

    ml::EpochMetrics last;
    auto on_epoch = [&](const ml::EpochMetrics& m) -> Status {
      last = m;
      log::Info("  epoch {}/{}: loss {:.4f}, accuracy {:.4f}, {:.0f} samples/s", m.epoch,
                spec.epochs, m.loss, m.accuracy, m.samples_per_second);
      RETURN_IF_ERROR(ctx.AddMetric("loss", m.epoch, m.loss));
      RETURN_IF_ERROR(ctx.AddMetric("accuracy", m.epoch, m.accuracy));
      return ctx.AddMetric("samples_per_second", m.epoch, m.samples_per_second);
    };
    Result<ml::ModelFiles> model = ml::Train(spec, train, on_epoch);
    if (!model.ok())
      return model.status().WithContext(fmt::format("training on {}", input->record.name));

    RETURN_IF_ERROR(ctx.AddSummaryMetric("train_loss", last.loss));
    RETURN_IF_ERROR(ctx.AddSummaryMetric("train_accuracy", last.accuracy));
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
