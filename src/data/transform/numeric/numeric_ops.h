// Registration of the numeric transform ops, one function per file of ops.
// Internal to src/data/transform.
#pragma once

#include <vector>

#include "data/transform/transform.h"

namespace citadel::data {

void AddScalerOps(std::vector<TransformOp>& ops);  // scalers.cc

}  // namespace citadel::data
