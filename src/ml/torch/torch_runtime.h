// The implementations behind MlRuntime (ml/runtime.h), inside
// libcitadel_ml_torch.so. Contracts: trainer.h, inference_session.h,
// batch_inference.h, runtime_info.h.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "ml/runtime.h"

namespace citadel::ml::internal {

Result<ModelFiles> TrainModel(const TrainSpec& spec, const DatasetView& train,
                              const DatasetView* validation, const TrainHooks& hooks);
Result<std::unique_ptr<InferenceSession>> LoadTorchSession(const ModelFiles& files,
                                                           std::string_view source);
Result<Json> EvaluateWithSession(const InferenceSession& session, const DatasetView& dataset);
Result<std::string> PredictWithSession(const InferenceSession& session, const DatasetView& dataset);
RuntimeInfo DescribeTorchRuntime();
Result<std::unique_ptr<ProcessGroup>> ConnectGlooGroup(const DistributedSpec& spec);

}  // namespace citadel::ml::internal
