// Loads libcitadel_ml_torch.so on first use and forwards src/ml's public
// torch-backed functions to it (see runtime.h for why it is a separate
// library).
#include "ml/runtime.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <vector>

#include "base/logging.h"
#include "base/memory/heap_reuse.h"
#include "base/version.h"
#include "ml/dense_session.h"

namespace citadel::ml {
namespace {

using EntryPoint = const MlRuntime* (*)(const char* build_id);

std::string BuildId() { return fmt::format("{} {}", CitadelVersion(), CitadelGitCommit()); }

std::filesystem::path ExecutableDir() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe.parent_path();
}

// Where to look, in order (runtime.h).
std::vector<std::filesystem::path> Candidates() {
  std::vector<std::filesystem::path> out;
  if (const char* env = std::getenv("CITADEL_ML_RUNTIME"); env != nullptr && *env != '\0') {
    out.emplace_back(env);
    return out;  // an explicit choice is not second-guessed
  }
  if (std::filesystem::path dir = ExecutableDir(); !dir.empty()) {
    out.push_back(dir / kRuntimeLibraryName);
    out.push_back(dir / "../lib/citadel" / kRuntimeLibraryName);
  }
#ifdef CITADEL_ML_RUNTIME_BUILD_PATH
  out.emplace_back(CITADEL_ML_RUNTIME_BUILD_PATH);
#endif
  return out;
}

Result<const MlRuntime*> LoadOnce() {
  std::vector<std::filesystem::path> tried = Candidates();
  std::string reasons;
  for (const std::filesystem::path& path : tried) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      reasons += fmt::format("\n  {}: not found", path.string());
      continue;
    }
    // RTLD_LOCAL: torch's symbols stay out of the global namespace; the
    // handle is never closed (the runtime lives as long as the process).
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = ::dlerror();
      reasons += fmt::format("\n  {}: {}", path.string(), why ? why : "dlopen failed");
      continue;
    }
    auto entry = reinterpret_cast<EntryPoint>(::dlsym(handle, kRuntimeEntryPoint));
    if (entry == nullptr) {
      reasons += fmt::format("\n  {}: no {} symbol (not a Citadel ML runtime of this version)",
                             path.string(), kRuntimeEntryPoint);
      continue;
    }
    const MlRuntime* runtime = entry(BuildId().c_str());
    if (runtime == nullptr) {
      reasons += fmt::format("\n  {}: built from another Citadel build than this one ({})",
                             path.string(), BuildId());
      continue;
    }
    return runtime;
  }
  return FailedPreconditionError(fmt::format(
      "cannot load the ML runtime {} (libtorch), which training, evaluation and prediction "
      "need:{}\nrebuild Citadel (make build) or point CITADEL_ML_RUNTIME at the library",
      kRuntimeLibraryName, reasons));
}

std::mutex& LoadMutex() {
  static std::mutex mutex;
  return mutex;
}
// Set once under LoadMutex(); a failed load is retried on the next call.
const MlRuntime* g_runtime = nullptr;

}  // namespace

Result<const MlRuntime*> Runtime() {
  std::lock_guard lock(LoadMutex());
  if (g_runtime == nullptr) {
    ASSIGN_OR_RETURN(g_runtime, LoadOnce());
    // libtorch allocates the same workspaces step after step (convolutions:
    // megabytes per batch); kept in the heap they are not faulted in
    // afresh each time (base/memory/heap_reuse.h): the Fashion CNN trained
    // 2.5-3.5x faster in PyTorch with the same settings (docs/benchmarks.md).
    if (!KeepFreedHeapMemory()) {
      log::Warning(
          "ml: the C library refused the heap settings; torch's buffers are mapped "
          "afresh per step");
    }
  }
  return g_runtime;
}

Result<RuntimeInfo> LoadRuntime() {
  ASSIGN_OR_RETURN(const MlRuntime* runtime, Runtime());
  return runtime->Info();
}

std::optional<RuntimeInfo> LoadedRuntime() {
  std::lock_guard lock(LoadMutex());
  if (g_runtime == nullptr) return std::nullopt;
  return g_runtime->Info();
}

Result<ModelFiles> Train(const TrainSpec& spec, const DatasetView& train,
                         const DatasetView* validation, const TrainHooks& hooks) {
  ASSIGN_OR_RETURN(const MlRuntime* runtime, Runtime());
  return runtime->Train(spec, train, validation, hooks);
}

Result<ModelFiles> Train(const TrainSpec& spec, const DatasetView& train,
                         const EpochCallback& on_epoch, const DatasetView* validation) {
  TrainHooks hooks;
  hooks.on_epoch = on_epoch;
  return Train(spec, train, validation, hooks);
}

Result<std::unique_ptr<ProcessGroup>> ConnectProcessGroup(const DistributedSpec& spec) {
  ASSIGN_OR_RETURN(const MlRuntime* runtime, Runtime());
  return runtime->Connect(spec);
}

Result<std::unique_ptr<InferenceSession>> InferenceSession::Load(const ModelFiles& files,
                                                                 std::string_view source) {
  std::unique_ptr<InferenceSession> session;
  // Fully connected networks need no torch (dense_session.h).
  if (IsDenseArchitecture(files.model_json)) {
    ASSIGN_OR_RETURN(session, LoadDenseSession(files, source));
  } else {
    ASSIGN_OR_RETURN(const MlRuntime* runtime, Runtime());
    ASSIGN_OR_RETURN(session, runtime->LoadSession(files, source));
  }
  RETURN_IF_ERROR(session->AttachOodDetector(files.ood));
  return session;
}

Result<Json> EvaluateDataset(const InferenceSession& session, const DatasetView& dataset) {
  ASSIGN_OR_RETURN(const MlRuntime* runtime, Runtime());
  return runtime->EvaluateDataset(session, dataset);
}

Result<std::string> PredictDataset(const InferenceSession& session, const DatasetView& dataset) {
  ASSIGN_OR_RETURN(const MlRuntime* runtime, Runtime());
  return runtime->PredictDataset(session, dataset);
}

}  // namespace citadel::ml
