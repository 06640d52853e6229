#include "data/transform/categorical/categorical_ops.h"

namespace citadel::data {

void AddCategoricalTransformOps(std::vector<TransformOp>& ops) {
  AddOneHotOps(ops);
  AddOrdinalOps(ops);
  AddHashingOps(ops);
  AddTextOps(ops);
  AddPiiOps(ops);
}

}  // namespace citadel::data
