#include "data/transform/categorical/categorical_ops.h"

namespace citadel::data {

void AddCategoricalTransformOps(std::vector<TransformOp>& ops) {}

}  // namespace citadel::data
