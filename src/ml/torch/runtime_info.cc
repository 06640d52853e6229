#include <torch/version.h>

#include "base/system/host_info.h"
#include "ml/torch/torch_runtime.h"

namespace citadel::ml::internal {

RuntimeInfo DescribeTorchRuntime() {
  RuntimeInfo info;
  info.torch_version = TORCH_VERSION;
  info.torch_library = LoadedLibrary("libtorch_cpu");
  info.blas_library = LoadedLibrary("blas");
  if (info.blas_library.empty()) info.blas_library = LoadedLibrary("openblas");
  return info;
}

}  // namespace citadel::ml::internal
