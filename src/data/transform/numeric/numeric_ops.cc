#include "data/transform/numeric/numeric_ops.h"

namespace citadel::data {

void AddNumericTransformOps(std::vector<TransformOp>& ops) { AddScalerOps(ops); }

}  // namespace citadel::data
