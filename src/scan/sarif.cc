#include "scan/sarif.h"

namespace citadel::scan {

const std::vector<Rule>& Rules() {
  static const std::vector<Rule> rules = {
      {"dangerous-call",
       "A pickle calls a callable on the denylist (code execution, the OS, "
       "files, the network, imports, nested loaders)."},
      {"dangerous-global", "A pickle names a denylisted callable; importing it runs its module."},
      {"unapproved-call", "A pickle calls a callable the policy does not allow."},
      {"unapproved-global", "A pickle names a callable the policy does not allow."},
      {"computed-callable", "A pickle calls something computed at load time, not a named global."},
      {"unresolved-global",
       "A pickle names a global through computed strings or an extension "
       "code, so what it loads cannot be known."},
      {"malformed-pickle", "A pickle stream is truncated or invalid where it stops."},
      {"malformed-archive", "A ZIP archive cannot be read."},
      {"encrypted-entry", "An archive entry is encrypted and cannot be inspected."},
      {"unreadable-entry", "An archive entry cannot be read (compression, bounds, size)."},
      {"misleading-entry-name",
       "An entry's local header names it differently from the "
       "central directory."},
      {"crc-mismatch", "An entry's CRC-32 does not match: the archive was altered."},
      {"nesting-too-deep", "Archives or pickles are nested deeper than the scanner follows."},
      {"malformed-safetensors",
       "A safetensors file breaks the format's strict rules (header, "
       "bounds, overlapping offsets, dtype and shape, trailing bytes)."},
      {"malformed-npy", "A NumPy .npy header cannot be read."},
      {"object-array", "A NumPy array holds Python objects, stored as a pickle."},
      {"compressed-content",
       "Data compressed in a format the scanner cannot undo (bzip2, xz, "
       "lz4, zstd)."},
      {"scan-budget-exceeded",
       "An archive's entries inflate past the bytes one scan reads in all; the rest is not "
       "inspected."},
      {"malformed-gguf",
       "A GGUF file's structure is broken: counts or lengths past the end, unknown types, "
       "tensors misaligned, outside the data or overlapping."},
      {"template-injection",
       "A chat template (GGUF tokenizer.chat_template, tokenizer_config.json) holds markers of "
       "server-side template injection."},
      {"malformed-onnx", "An ONNX model does not parse as a ModelProto."},
      {"external-data",
       "An ONNX tensor's external data location leaves the model's directory (absolute, '..', "
       "URL, drive path)."},
      {"custom-operator",
       "An ONNX node is in a non-standard operator domain: running it needs a custom operator "
       "library (native code)."},
      {"malformed-hdf5", "An HDF5 file's root group or attributes cannot be read."},
      {"malformed-keras", "A Keras model config cannot be read."},
      {"keras-lambda",
       "A Keras Lambda layer or lambda object: a Python function as marshalled bytecode, run "
       "on load."},
      {"keras-tf-op", "A Keras TFOpLambda layer calls a TensorFlow function by name."},
      {"keras-custom-object",
       "A Keras config names a module outside Keras or a custom registered object: loading "
       "imports its code."},
  };
  return rules;
}

Json ToSarif(const std::vector<FileReport>& reports, std::string_view tool_version) {
  Json rules = Json::array();
  for (const Rule& r : Rules()) {
    // No default level: a rule's severity depends on the policy, so each
    // result carries its own.
    rules.push_back({{"id", r.id}, {"shortDescription", {{"text", r.description}}}});
  }
  Json results = Json::array();
  for (const FileReport& report : reports) {
    for (const Finding& f : report.findings) {
      Json physical = {{"artifactLocation", {{"uri", f.path}}}};
      if (f.entry.empty()) physical["region"] = {{"byteOffset", f.offset}};
      Json location = {{"physicalLocation", physical}};
      if (!f.entry.empty()) {
        location["logicalLocations"] = {{{"fullyQualifiedName", f.entry}, {"kind", "resource"}}};
      }
      Json result = {
          {"ruleId", f.rule},
          {"level", f.severity == Severity::kDangerous ? "error" : "warning"},
          {"message", {{"text", f.entry.empty() ? f.detail : f.entry + ": " + f.detail}}},
          {"locations", Json::array({location})}};
      if (!f.entry.empty()) result["properties"] = {{"entryOffset", f.offset}};
      results.push_back(std::move(result));
    }
  }
  Json driver = {{"name", "citadel-scan"}, {"version", tool_version}, {"rules", rules}};
  return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
          {"version", "2.1.0"},
          {"runs", Json::array({{{"tool", {{"driver", driver}}}, {"results", results}}})}};
}

}  // namespace citadel::scan
