// Registration of the categorical, text and PII transform ops, one function
// per file of ops. Internal to src/data/transform.
#pragma once

#include <vector>

#include "data/transform/transform.h"

namespace citadel::data {

void AddOneHotOps(std::vector<TransformOp>& ops);   // one_hot.cc: one_hot
void AddOrdinalOps(std::vector<TransformOp>& ops);  // ordinal.cc: ordinal
void AddHashingOps(std::vector<TransformOp>& ops);  // hashing.cc: hash_features
void AddTextOps(std::vector<TransformOp>& ops);     // text.cc: text
void AddPiiOps(std::vector<TransformOp>& ops);      // pii_ops.cc: redact, hash, drop

}  // namespace citadel::data
