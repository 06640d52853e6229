// How a load run is reported: a few human lines, or one JSON object whose
// fields scripts and tests read (documented in bench/loadgen/README.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "loadgen/load_generator.h"

namespace citadel::loadgen {

nlohmann::json ReportJson(const LoadOptions& options, const LoadResult& result);
std::string ReportText(const LoadOptions& options, const LoadResult& result);

}  // namespace citadel::loadgen
