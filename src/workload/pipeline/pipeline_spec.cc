#include "workload/pipeline/pipeline_spec.h"

#include <fmt/format.h>

#include <set>

#include "workload/pipeline/step_runner.h"

namespace citadel::workload {

bool IsValidIdentifier(std::string_view name) {
  if (name.empty() || name.size() > 64 || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<PipelineSpec> LoadPipelineSpec(const std::filesystem::path& path) {
  PipelineSpec spec;
  spec.path = path;
  spec.dir = std::filesystem::absolute(path).parent_path();
  ASSIGN_OR_RETURN(spec.doc, LoadYamlFile(path));
  SpecReader top(spec.doc, "");
  RETURN_IF_ERROR(top.ExpectObject({"pipeline", "description", "steps"}));
  ASSIGN_OR_RETURN(spec.name, top.String("pipeline"));
  if (!IsValidIdentifier(spec.name)) {
    return top.FieldError("pipeline", fmt::format("pipeline name '{}' must start with a lowercase "
                                                  "letter and use only a-z, 0-9, '_' or '-'",
                                                  spec.name));
  }
  if (!top.Has("steps") || !top.json()["steps"].is_array() || top.json()["steps"].empty()) {
    return top.FieldError("steps", "expected a non-empty list of steps");
  }
  std::set<std::string> names;
  SpecReader steps = top.Child("steps");
  for (size_t i = 0; i < steps.Size(); ++i) {
    SpecReader step = steps.Element(i);
    if (!step.json().is_object()) return step.Error("a step must be a mapping with name and kind");
    StepDecl decl;
    decl.pointer = step.pointer();
    ASSIGN_OR_RETURN(decl.name, step.String("name"));
    ASSIGN_OR_RETURN(decl.kind, step.String("kind"));
    if (!IsValidIdentifier(decl.name)) {
      return step.FieldError(
          "name",
          fmt::format(
              "step name '{}' must start with a lowercase letter and use only a-z, 0-9, '_' or '-'",
              decl.name));
    }
    if (!names.insert(decl.name).second) {
      return step.FieldError("name",
                             fmt::format("a step named '{}' is already defined above", decl.name));
    }
    if (FindStepRunner(decl.kind) == nullptr) {
      std::string kinds;
      for (auto k : StepKinds()) kinds += (kinds.empty() ? "" : ", ") + std::string(k);
      return step.FieldError(
          "kind", fmt::format("unknown step kind '{}' (known kinds: {})", decl.kind, kinds));
    }
    spec.steps.push_back(std::move(decl));
  }
  return spec;
}

}  // namespace citadel::workload
