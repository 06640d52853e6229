// Facts about the machine and process, recorded with every run.
#pragma once

#include <string>
#include <string_view>

namespace citadel {

std::string Hostname();

// "model name" from /proc/cpuinfo, or "unknown".
std::string CpuModel();

// Real path of the first shared object loaded in this process whose file name
// contains `needle` (e.g. "blas"), or "" if none is loaded. Tells which BLAS a
// Debian alternatives symlink actually resolved to.
std::string LoadedLibrary(std::string_view needle);

}  // namespace citadel
