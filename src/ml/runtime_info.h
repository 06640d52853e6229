// Versions of the numeric runtime, for run environment records.
#pragma once

#include <string>

namespace citadel::ml {

// The version libtorch's headers declare (Debian's 1.13.1 package says 1.13.0).
std::string TorchVersion();
// Real path of the libtorch_cpu library loaded into this process: which build
// actually ran, whatever the headers said.
std::string TorchLibrary();
// Real path of the BLAS library loaded into this process (libtorch links
// libblas.so.3, which Debian's alternatives point at OpenBLAS or the slow
// reference BLAS); "" when none is loaded.
std::string BlasLibrary();

}  // namespace citadel::ml
