// The torch runtime behind src/ml's public functions. libtorch registers
// thousands of operators when it is loaded (~0.6 s of start-up on a 2-core
// machine), so it is not linked into the citadel binary: it lives in the
// shared library libcitadel_ml_torch.so, which Runtime() loads with dlopen the
// first time a step trains, evaluates or predicts. A `kind: process` step, a
// cached step or `citadel --version` never loads it.
//
// The library is found, in order, at $CITADEL_ML_RUNTIME, next to the
// running executable, in ../lib/citadel/ beside it, and at the path the build
// wrote it to. It must come from the same build: the entry point's name
// carries the interface version, and the library checks the caller's build id.
#pragma once

#include <memory>
#include <string_view>

#include "base/status.h"
#include "ml/batch_inference.h"
#include "ml/inference_session.h"
#include "ml/runtime_info.h"
#include "ml/training/trainer.h"

namespace citadel::ml {

// What the torch library implements; see trainer.h, inference_session.h and
// batch_inference.h for the contracts.
class MlRuntime {
 public:
  virtual ~MlRuntime() = default;
  // `validation` may be null.
  virtual Result<ModelFiles> Train(const TrainSpec& spec, const DatasetView& train,
                                   const DatasetView* validation,
                                   const TrainHooks& hooks) const = 0;
  virtual Result<std::unique_ptr<InferenceSession>> LoadSession(const ModelFiles& files,
                                                                std::string_view source) const = 0;
  virtual Result<Json> EvaluateDataset(const InferenceSession& session,
                                       const DatasetView& dataset) const = 0;
  virtual Result<std::string> PredictDataset(const InferenceSession& session,
                                             const DatasetView& dataset) const = 0;
  virtual RuntimeInfo Info() const = 0;
  virtual Result<std::unique_ptr<ProcessGroup>> Connect(const DistributedSpec& spec) const = 0;
};

// The runtime, loaded on first call (thread-safe; never unloaded).
Result<const MlRuntime*> Runtime();

// The symbol the library exports: extern "C" const MlRuntime* NAME(const char*
// build_id), returning nullptr when build_id is not its own.
inline constexpr const char* kRuntimeEntryPoint = "citadel_ml_runtime_v1";
inline constexpr std::string_view kRuntimeLibraryName = "libcitadel_ml_torch.so";

}  // namespace citadel::ml
