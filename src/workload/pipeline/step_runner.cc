#include "workload/pipeline/step_runner.h"

#include <fmt/format.h>

#include "base/system/files.h"
#include "base/system/thread_pool.h"
#include "store/artifact_files.h"
#include "workload/steps/steps.h"

namespace citadel::workload {

Result<std::filesystem::path> StepContext::ScratchDir(const std::string& name) {
  std::filesystem::path dir = run_.dir() / "work" / name;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  RETURN_IF_ERROR(CreateDirectories(dir));
  return dir;
}

Result<const LoadedArtifact*> StepContext::Input(const std::string& role) const {
  auto it = inputs_.find(role);
  if (it == inputs_.end())
    return InternalError(fmt::format("step {} has no input '{}'", step_, role));
  return &it->second;
}

Result<std::string> StepContext::AddOutputDir(const std::string& role,
                                              const std::filesystem::path& dir,
                                              const std::string& kind, std::string_view media_type,
                                              Json metadata) {
  ASSIGN_OR_RETURN(std::string id,
                   StoreArtifactDir(ws_, dir, OutputInfo(role, kind, media_type, metadata)));
  return RecordOutput(role, id);
}

Result<std::string> StepContext::AddOutputFiles(InMemoryOutput output) {
  std::vector<InMemoryOutput> one;
  one.push_back(std::move(output));
  ASSIGN_OR_RETURN(std::vector<std::string> ids, AddOutputFiles(std::move(one)));
  return ids.front();
}

Result<std::vector<std::string>> StepContext::AddOutputFiles(std::vector<InMemoryOutput> outputs) {
  std::vector<Result<store::Manifest>> stored(outputs.size(), InternalError("not stored"));
  SharedPool().ParallelFor(outputs.size(), [&](size_t i) {
    stored[i] = store::StoreFiles(ws_.blobs(), outputs[i].files);
  });
  std::vector<std::string> ids;
  for (size_t i = 0; i < outputs.size(); ++i) {
    InMemoryOutput& out = outputs[i];
    if (!stored[i].ok()) return stored[i].status().WithContext(out.role);
    ASSIGN_OR_RETURN(ids.emplace_back(),
                     RecordStoredOutput(out.role, *stored[i], out.kind, out.media_type,
                                        std::move(out.metadata)));
  }
  return ids;
}

Result<std::string> StepContext::RecordStoredOutput(const std::string& role,
                                                    const store::Manifest& manifest,
                                                    const std::string& kind,
                                                    std::string_view media_type, Json metadata) {
  ASSIGN_OR_RETURN(std::string id,
                   RecordArtifact(ws_, manifest, OutputInfo(role, kind, media_type, metadata)));
  return RecordOutput(role, id);
}

NewArtifact StepContext::OutputInfo(const std::string& role, const std::string& kind,
                                    std::string_view media_type, Json& metadata) const {
  // `metadata` is the caller's by-value argument: moved, not copied.
  return NewArtifact{kind, fmt::format("{}/{}.{}", pipeline_, step_, role), media_type,
                     run_.run_id(), std::move(metadata)};
}

Result<std::string> StepContext::RecordOutput(const std::string& role, const std::string& id) {
  RETURN_IF_ERROR(run_.AddOutput(role, id));
  outputs_[role] = id;
  return id;
}

Status StepContext::AddSummaryMetric(const std::string& key, double value) {
  summary_[key] = value;
  return run_.AddMetric(key, 0, value);
}

const StepRunner* FindStepRunner(std::string_view kind) {
  static const auto* runners =
      new std::map<std::string, std::unique_ptr<StepRunner>, std::less<>>([] {
        std::map<std::string, std::unique_ptr<StepRunner>, std::less<>> m;
        m["process"] = steps::MakeProcessStep();
        m["train"] = steps::MakeTrainStep();
        m["evaluate"] = steps::MakeEvaluateStep();
        m["predict"] = steps::MakePredictStep();
        m["register"] = steps::MakeRegisterStep();
        return m;
      }());
  auto it = runners->find(kind);
  return it == runners->end() ? nullptr : it->second.get();
}

std::vector<std::string_view> StepKinds() {
  return {"process", "train", "evaluate", "predict", "register"};
}

}  // namespace citadel::workload
