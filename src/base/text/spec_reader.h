// Typed, line-aware access to one mapping inside a YAML spec.
//
// Every module that accepts configuration from a pipeline spec reads it
// through a SpecReader, so that every error has the same shape:
//   "pipeline.yaml:14: steps/1/epochs: expected an integer ≥ 1, got 'ten'".
// Unknown keys are errors too (a typo must not be silently ignored).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "base/text/yaml.h"

namespace citadel {

class SpecReader {
 public:
  // `pointer` is a JSON pointer into doc.root ("" = the root). The document
  // must outlive the reader.
  SpecReader(const YamlDocument& doc, std::string pointer);

  const Json& json() const { return *value_; }
  const std::string& pointer() const { return pointer_; }
  bool Has(std::string_view key) const;

  // Error about the node itself or about `key` inside it, with file:line.
  Status Error(std::string_view message) const;
  Status FieldError(std::string_view key, std::string_view message) const;

  // The node must be a mapping whose keys are all in `known`.
  Status ExpectObject(std::initializer_list<std::string_view> known) const;

  Result<std::string> String(std::string_view key) const;
  Result<std::string> String(std::string_view key, std::string fallback) const;
  Result<int64_t> Int(std::string_view key, int64_t min, int64_t max) const;
  Result<int64_t> Int(std::string_view key, int64_t min, int64_t max, int64_t fallback) const;
  Result<double> Number(std::string_view key, double min, double max) const;
  Result<double> Number(std::string_view key, double min, double max, double fallback) const;
  Result<bool> Bool(std::string_view key, bool fallback) const;
  Result<std::vector<int64_t>> IntList(std::string_view key, int64_t min, int64_t max) const;
  Result<std::vector<std::string>> StringList(std::string_view key) const;

  // Reader for a nested mapping or list element; NotFound-free: the child may
  // be absent (check Has first) and then refers to null.
  SpecReader Child(std::string_view key) const;
  SpecReader Element(size_t index) const;
  // The number of elements when the node is a list (0 otherwise).
  size_t Size() const { return value_->is_array() ? value_->size() : 0; }

 private:
  std::string ChildPointer(std::string_view key) const;
  std::string Describe(const Json& value) const;
  Result<const Json*> Required(std::string_view key) const;

  const YamlDocument* doc_;
  std::string pointer_;
  const Json* value_;
};

}  // namespace citadel
