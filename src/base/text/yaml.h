// YAML documents as Json values, with source lines kept for error messages.
//
// Specs are written in YAML but processed as Json (one value model across the
// code base). The line of every node is recorded under its JSON pointer, so a
// validator can say "pipeline.yaml:14: steps/1/epochs: …".
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/text/json.h"

namespace citadel {

struct YamlDocument {
  std::string source;  // file name used in messages
  Json root;
  std::map<std::string, int> lines;  // JSON pointer ("/steps/1/epochs") → 1-based line

  // Line of `pointer`, or of its nearest recorded ancestor; 0 when unknown.
  int LineOf(const std::string& pointer) const;

  // "source:line: " prefix for messages about `pointer`.
  std::string Where(const std::string& pointer) const;
};

// Scalars become typed Json values by YAML 1.2 core-schema rules: unquoted
// null/~ → null, true/false → bool, integers, floats; quoted → string.
Result<YamlDocument> ParseYaml(std::string_view text, std::string_view source);
Result<YamlDocument> LoadYamlFile(const std::filesystem::path& path);

}  // namespace citadel
