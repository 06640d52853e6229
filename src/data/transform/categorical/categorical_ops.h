// Registration of the categorical, text and PII transform ops, one function
// per file of ops. Internal to src/data/transform.
#pragma once

#include <vector>

#include "data/transform/transform.h"

namespace citadel::data {

}  // namespace citadel::data
