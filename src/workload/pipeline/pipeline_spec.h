// A pipeline spec file (ARCHITECTURE.md §6): its name and ordered steps.
// Per-kind fields are validated by each kind's StepRunner; this layer checks
// the shape shared by all steps.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/text/spec_reader.h"
#include "base/text/yaml.h"

namespace citadel::workload {

struct StepDecl {
  std::string name;
  std::string kind;
  std::string pointer;  // JSON pointer of the step mapping ("/steps/2")
};

struct PipelineSpec {
  std::string name;
  std::filesystem::path path;  // the spec file
  std::filesystem::path dir;   // relative input paths resolve against this
  YamlDocument doc;
  std::vector<StepDecl> steps;

  SpecReader Reader(const StepDecl& step) const { return SpecReader(doc, step.pointer); }
};

// Reads and checks the file: `pipeline` name, non-empty `steps`, each with a
// unique `name` ([a-z0-9_-], starting with a letter) and a known `kind`.
Result<PipelineSpec> LoadPipelineSpec(const std::filesystem::path& path);

// True for names a pipeline or step may have.
bool IsValidIdentifier(std::string_view name);

}  // namespace citadel::workload
