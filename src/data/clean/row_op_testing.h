// Test-only: clean ops parsed from one line of YAML flow, e.g.
// "{ op: filter, expr: 'age >= 18' }", as they would be from a spec file.
#pragma once

#include <memory>
#include <string_view>

#include "base/text/yaml.h"
#include "data/clean/row_operation.h"

namespace citadel::data::testing {

inline Result<std::unique_ptr<RowOperation>> RowOp(std::string_view yaml) {
  ASSIGN_OR_RETURN(YamlDocument doc, ParseYaml(yaml, "spec.yaml"));
  return ParseRowOperation(SpecReader(doc, ""));
}

// Parses `yaml` and runs the op on `table`.
inline Result<size_t> RunRowOp(std::string_view yaml, Table& table) {
  ASSIGN_OR_RETURN(std::unique_ptr<RowOperation> op, RowOp(yaml));
  return op->Run(table);
}

}  // namespace citadel::data::testing
