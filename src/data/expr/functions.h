// The catalogue of expression functions: names and argument counts for the
// parser. Their types are checked in binder.cc and computed in
// call_eval.cc. Internal to src/data/expr.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "data/expr/ast.h"

namespace citadel::data::expr {

inline constexpr size_t kVariadic = 1024;

struct FunctionInfo {
  std::string_view name;
  Fn fn;
  size_t min_args;
  size_t max_args;  // kVariadic: any number from min_args on
};

// nullptr for an unknown name (names are case-sensitive).
const FunctionInfo* FindFunction(std::string_view name);
const FunctionInfo& InfoOf(Fn fn);

// "abs, ceil, …" in alphabetical order, for messages.
std::string FunctionNames();

}  // namespace citadel::data::expr
