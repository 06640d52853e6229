// Which callables a pickle may name (GLOBAL, STACK_GLOBAL, INST): the
// denylist of dangerous modules and functions, and the allowlist of the
// plain data and tensor / array rebuild callables that checkpoints of
// PyTorch, NumPy and scikit-learn-free containers use.
#pragma once

#include <optional>
#include <string_view>

#include "scan/findings.h"

namespace citadel::scan {

enum class CallableClass {
  kRebuild,  // tensor / array / storage rebuild callables and plain containers (strict's allowlist)
  kKnown,    // other well-known harmless classes (torch.nn modules, TorchScript classes)
  kDangerous,  // on the denylist
  kUnknown,
};

CallableClass ClassifyCallable(std::string_view module, std::string_view name);

// The severity of referencing `module.name` under `policy`; nullopt = allowed.
std::optional<Severity> SeverityOf(CallableClass c, ScanPolicy policy);

}  // namespace citadel::scan
