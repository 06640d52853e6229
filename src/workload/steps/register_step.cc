// kind: register — a model artifact becomes the next version of a registered
// model name, optionally with aliases (production, canary …). Cached like any
// step: re-running an unchanged pipeline does not move an alias that an
// operator has since pointed elsewhere by hand.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/logging.h"
#include "workload/steps/steps.h"

namespace citadel::workload::steps {
namespace {

class RegisterStep : public StepRunner {
 public:
  Result<StepPlan> Plan(const SpecReader& step, const std::filesystem::path&) const override {
    RETURN_IF_ERROR(step.ExpectObject({"name", "kind", "model", "model_name", "aliases"}));
    StepPlan plan;
    ASSIGN_OR_RETURN(std::string model, step.String("model"));
    RETURN_IF_ERROR(step.String("model_name"));
    if (step.Has("aliases")) RETURN_IF_ERROR(step.StringList("aliases"));
    plan.artifacts.push_back({"model", model, "model"});
    return plan;
  }

  Status Execute(StepContext& ctx) const override {
    ASSIGN_OR_RETURN(std::string name, ctx.spec().String("model_name"));
    std::vector<std::string> aliases;
    if (ctx.spec().Has("aliases")) {
      ASSIGN_OR_RETURN(aliases, ctx.spec().StringList("aliases"));
    }
    ASSIGN_OR_RETURN(const LoadedArtifact* model, ctx.Input("model"));
    Result<catalog::ModelVersion> version =
        ctx.workspace().catalog().RegisterModelVersion(name, model->record.id, ctx.run_id());
    if (!version.ok())
      return version.status().WithContext(fmt::format("registering model '{}'", name));
    for (const auto& alias : aliases) {
      RETURN_IF_ERROR(ctx.workspace().catalog().SetAlias(name, alias, version->version));
    }
    RETURN_IF_ERROR(ctx.AddSummaryMetric("version", static_cast<double>(version->version)));
    log::Info("  registered {} version {}{}", name, version->version,
              aliases.empty() ? "" : fmt::format(" (aliases: {})", fmt::join(aliases, ", ")));
    return Status::Ok();
  }
};

}  // namespace

std::unique_ptr<StepRunner> MakeRegisterStep() { return std::make_unique<RegisterStep>(); }

}  // namespace citadel::workload::steps
