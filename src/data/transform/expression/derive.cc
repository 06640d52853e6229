#include "data/transform/transform.h"

namespace citadel::data {

void AddExpressionTransformOps(std::vector<TransformOp>& ops) {}

}  // namespace citadel::data
