// Versions of the numeric runtime, for run environment records.
#pragma once

#include <string>

namespace citadel::ml {

std::string TorchVersion();
// Real path of the BLAS library loaded into this process (libtorch links
// libblas.so.3, which Debian's alternatives point at OpenBLAS or the slow
// reference BLAS); "" when none is loaded.
std::string BlasLibrary();

}  // namespace citadel::ml
