// kind: process — CSV ingest, cleaning, split, fitted transforms → datasets.
#include <fmt/format.h>

#include "base/logging.h"
#include "data/dataset_prep.h"
#include "store/artifact_files.h"
#include "workload/steps/steps.h"

namespace citadel::workload::steps {
namespace {

constexpr std::string_view kSourceRole = "source";

// Replaces every occurrence of `from` in `text`.
std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  for (size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

class ProcessStep : public StepRunner {
 public:
  Result<StepPlan> Plan(const SpecReader& step,
                        const std::filesystem::path& spec_dir) const override {
    ASSIGN_OR_RETURN(data::ProcessSpec spec, data::ParseProcessSpec(step, spec_dir, {}));
    StepPlan plan;
    plan.files.push_back({std::string(kSourceRole), spec.csv, "input/csv"});
    if (!spec.split.fractions.empty()) plan.seed = static_cast<int64_t>(spec.split.seed);
    return plan;
  }

  Status Execute(StepContext& ctx) const override {
    ASSIGN_OR_RETURN(data::ProcessSpec spec,
                     data::ParseProcessSpec(ctx.spec(), ctx.spec_dir(), {}));
    // Work on a verified copy of the recorded source artifact, not on the
    // user's file: the dataset must derive from exactly the bytes whose digest
    // the run records, even if the file changes meanwhile.
    ASSIGN_OR_RETURN(const LoadedArtifact* source, ctx.Input(std::string(kSourceRole)));
    ASSIGN_OR_RETURN(auto scratch, ctx.ScratchDir("source"));
    RETURN_IF_ERROR(store::ExportArtifact(ctx.workspace().blobs(), source->manifest, scratch));
    std::filesystem::path original = spec.csv;
    spec.csv = scratch / source->manifest.files().front().path;

    Result<data::PrepareResult> prepared = data::PrepareDataset(spec);
    if (!prepared.ok()) {
      return Status(prepared.status().code(),
                    ReplaceAll(prepared.status().message(), spec.csv.string(), original.string()));
    }
    for (const data::PreparedSplit& split : prepared->splits) {
      ASSIGN_OR_RETURN(auto dir, ctx.ScratchDir("out-" + split.role));
      RETURN_IF_ERROR(data::WriteDatasetDir(split, dir));
      int64_t rows = split.schema.value("rows", int64_t{0});
      ASSIGN_OR_RETURN(std::string id,
                       ctx.AddOutputDir(split.role, dir, "dataset", kDatasetMediaType,
                                        {{"rows", rows}, {"split", split.role}}));
      RETURN_IF_ERROR(ctx.AddSummaryMetric(split.role + "_rows", static_cast<double>(rows)));
      log::Info("  {} split: {} rows → {}", split.role, rows, id);
    }
    const Json& stats = prepared->stats;
    RETURN_IF_ERROR(
        ctx.AddSummaryMetric("duplicates_dropped", stats.value("duplicates_dropped", 0.0)));
    RETURN_IF_ERROR(ctx.AddSummaryMetric("features", stats.value("features", 0.0)));
    return Status::Ok();
  }
};

}  // namespace

std::unique_ptr<StepRunner> MakeProcessStep() { return std::make_unique<ProcessStep>(); }

}  // namespace citadel::workload::steps
