#include "ml/runtime_info.h"

#include <torch/version.h>

#include "base/system/host_info.h"

namespace citadel::ml {

std::string TorchVersion() { return TORCH_VERSION; }

std::string TorchLibrary() { return LoadedLibrary("libtorch_cpu"); }

std::string BlasLibrary() {
  std::string blas = LoadedLibrary("blas");
  return blas.empty() ? LoadedLibrary("openblas") : blas;
}

}  // namespace citadel::ml
