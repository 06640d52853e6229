// Column-at-a-time evaluation of function calls. Internal to src/data/expr.
#pragma once

#include <cstddef>
#include <vector>

#include "data/expr/ast.h"
#include "data/expr/binder.h"
#include "data/expr/vec.h"

namespace citadel::data::expr {

// Evaluates the call `node` (bound as `bound`) on `rows` rows given its
// evaluated arguments. Binding has checked the argument types, so this
// cannot fail.
Vec EvalCall(const Node& node, const BoundNode& bound, std::vector<Vec>& args, size_t rows);

}  // namespace citadel::data::expr
