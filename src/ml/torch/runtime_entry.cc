// The one exported symbol of libcitadel_ml_torch.so (everything else is
// hidden): the MlRuntime that runtime.cc forwards to.
#include <fmt/format.h>

#include "base/version.h"
#include "ml/torch/torch_runtime.h"

namespace citadel::ml::internal {
namespace {

class TorchRuntime final : public MlRuntime {
 public:
  Result<ModelFiles> Train(const TrainSpec& spec, const DatasetView& train,
                           const DatasetView* validation, const TrainHooks& hooks) const override {
    return TrainModel(spec, train, validation, hooks);
  }
  Result<std::unique_ptr<InferenceSession>> LoadSession(const ModelFiles& files,
                                                        std::string_view source) const override {
    return LoadTorchSession(files, source);
  }
  Result<Json> EvaluateDataset(const InferenceSession& session,
                               const DatasetView& dataset) const override {
    return EvaluateWithSession(session, dataset);
  }
  Result<std::string> PredictDataset(const InferenceSession& session,
                                     const DatasetView& dataset) const override {
    return PredictWithSession(session, dataset);
  }
  RuntimeInfo Info() const override { return DescribeTorchRuntime(); }
  Result<std::unique_ptr<ProcessGroup>> Connect(const DistributedSpec& spec) const override {
    return ConnectGlooGroup(spec);
  }
};

}  // namespace
}  // namespace citadel::ml::internal

// The caller passes its build id: a library from another build could lay out
// Status, Json or the session differently, so it refuses instead of crashing.
extern "C" __attribute__((visibility("default"))) const citadel::ml::MlRuntime*
citadel_ml_runtime_v1(const char* build_id) {
  static const citadel::ml::internal::TorchRuntime runtime;
  const std::string own =
      fmt::format("{} {}", citadel::CitadelVersion(), citadel::CitadelGitCommit());
  if (build_id == nullptr || own != build_id) return nullptr;
  return &runtime;
}
