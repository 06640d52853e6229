// Which numeric runtime a step ran on, for run environment records.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"

namespace citadel::ml {

struct RuntimeInfo {
  // The version libtorch's headers declare (Debian's 1.13.1 package says 1.13.0).
  std::string torch_version;
  // Real path of the libtorch_cpu library loaded into this process: which
  // build actually ran, whatever the headers said.
  std::string torch_library;
  // Real path of the BLAS library loaded into this process (libtorch links
  // libblas.so.3, which Debian's alternatives point at OpenBLAS or the slow
  // reference BLAS); "" when none is loaded.
  std::string blas_library;
};

// Loads the torch runtime (ml/runtime.h) if it is not loaded yet and
// describes it. FailedPrecondition naming the library and the loader's
// reason when it cannot be loaded.
Result<RuntimeInfo> LoadRuntime();

// The loaded runtime, or nullopt when nothing in this process needed it:
// steps that do not use ml never pay libtorch's start-up.
std::optional<RuntimeInfo> LoadedRuntime();

}  // namespace citadel::ml
