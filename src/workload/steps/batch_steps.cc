// kind: evaluate and kind: predict — a model applied to a dataset through
// ml::InferenceSession (the same session type serving uses).
#include <fmt/format.h>

#include "base/logging.h"
#include "base/system/files.h"
#include "ml/batch_inference.h"
#include "workload/steps/steps.h"
#include "workload/trust_policy.h"

namespace citadel::workload::steps {

Result<StepPlan> PlanModelAndDataset(const SpecReader& step,
                                     std::initializer_list<std::string_view> extra_known) {
  std::vector<std::string_view> known = {"name", "kind", "model", "dataset"};
  known.insert(known.end(), extra_known.begin(), extra_known.end());
  for (const auto& [key, unused] : step.json().items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return step.FieldError(key, fmt::format("unknown field '{}' for this step kind", key));
    }
  }
  StepPlan plan;
  plan.uses_ml = true;
  ASSIGN_OR_RETURN(std::string model, step.String("model"));
  ASSIGN_OR_RETURN(std::string dataset, step.String("dataset"));
  plan.artifacts.push_back({"model", model, "model"});
  plan.artifacts.push_back({"dataset", dataset, "dataset"});
  return plan;
}

namespace {

struct Loaded {
  std::unique_ptr<ml::InferenceSession> session;
  ml::DatasetView dataset;
};

Result<Loaded> LoadModelAndDataset(StepContext& ctx) {
  Loaded l;
  ASSIGN_OR_RETURN(const LoadedArtifact* model, ctx.Input("model"));
  ASSIGN_OR_RETURN(const LoadedArtifact* dataset, ctx.Input("dataset"));
  // The trust policy first (signature, scan), then reading verifies every
  // byte against the recorded digests: a tampered or untrusted model never
  // reaches the loader.
  ASSIGN_OR_RETURN(TrustPolicy policy, LoadTrustPolicy(ctx.workspace()));
  RETURN_IF_ERROR(EnforceTrustPolicy(ctx.workspace(), *model, policy));
  ASSIGN_OR_RETURN(ml::ModelFiles files, LoadModelFiles(ctx.workspace(), *model));
  ASSIGN_OR_RETURN(l.session, ml::InferenceSession::Load(files, model->record.id));
  ASSIGN_OR_RETURN(l.dataset, LoadDatasetView(ctx.workspace(), *dataset));
  return l;
}

class EvaluateStep : public StepRunner {
 public:
  Result<StepPlan> Plan(const SpecReader& step, const std::filesystem::path&) const override {
    return PlanModelAndDataset(step, {});
  }

  Status Execute(StepContext& ctx) const override {
    ASSIGN_OR_RETURN(Loaded l, LoadModelAndDataset(ctx));
    ASSIGN_OR_RETURN(Json report, ml::EvaluateDataset(*l.session, l.dataset));
    ASSIGN_OR_RETURN(auto dir, ctx.ScratchDir("report"));
    RETURN_IF_ERROR(WriteFileAtomic(dir / "report.json", PrettyJson(report)));
    for (const auto& [key, value] : report["metrics"].items()) {
      RETURN_IF_ERROR(ctx.AddSummaryMetric(key, value.get<double>()));
    }
    ASSIGN_OR_RETURN(std::string id, ctx.AddOutputDir("report", dir, "report", kReportMediaType,
                                                      {{"metrics", report["metrics"]}}));
    log::Info("  accuracy {:.4f}, macro F1 {:.4f} → {}",
              report["metrics"]["accuracy"].get<double>(),
              report["metrics"]["macro_f1"].get<double>(), id);
    return Status::Ok();
  }
};

class PredictStep : public StepRunner {
 public:
  Result<StepPlan> Plan(const SpecReader& step, const std::filesystem::path&) const override {
    return PlanModelAndDataset(step, {});
  }

  Status Execute(StepContext& ctx) const override {
    ASSIGN_OR_RETURN(Loaded l, LoadModelAndDataset(ctx));
    ASSIGN_OR_RETURN(std::string csv, ml::PredictDataset(*l.session, l.dataset));
    ASSIGN_OR_RETURN(auto dir, ctx.ScratchDir("predictions"));
    RETURN_IF_ERROR(WriteFileAtomic(dir / "predictions.csv", csv));
    double rows = static_cast<double>(std::count(csv.begin(), csv.end(), '\n') - 1);
    RETURN_IF_ERROR(ctx.AddSummaryMetric("rows", rows));
    ASSIGN_OR_RETURN(std::string id, ctx.AddOutputDir("predictions", dir, "predictions",
                                                      kPredictionsMediaType, {{"rows", rows}}));
    log::Info("  {} predictions → {}", rows, id);
    return Status::Ok();
  }
};

}  // namespace

std::unique_ptr<StepRunner> MakeEvaluateStep() { return std::make_unique<EvaluateStep>(); }
std::unique_ptr<StepRunner> MakePredictStep() { return std::make_unique<PredictStep>(); }

}  // namespace citadel::workload::steps
