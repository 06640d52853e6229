// ModelScanner: finds what loading a model file would run. The format is
// told by content, never by file name: a ZIP archive (PyTorch checkpoints,
// TorchScript modules, .npz, Keras v3 .keras — every entry is looked at,
// whatever its name, and archives inside archives too, within a budget of
// inflated bytes for the whole file), a NumPy .npy (object arrays are
// pickles), safetensors (checked strictly), GGUF (structure and chat
// template, formats/gguf.h), HDF5 (legacy Keras .h5: the model config in
// its root attributes, formats/keras_config.h), ONNX (external data
// locations and custom operator domains, formats/onnx.h), JSON configs
// (Keras model configs, tokenizer chat templates), zlib / gzip data
// (inflated, then scanned: compressed joblib and .pkl.gz files) or a
// pickle stream (plain pickles; legacy torch.save files are several
// pickles in a row).
// Uncompressed joblib files interleave raw array bytes with their pickle:
// the walk stops there with a malformed-pickle finding. Every
// pickle is walked by the PickleMachine and each global it references or
// calls is judged by the policy (callable_policy.h); byte strings that are
// pickles themselves are scanned too. A broken stream or archive is a
// finding, never a crash.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "scan/findings.h"

namespace citadel::scan {

struct ScanOptions {
  ScanPolicy policy = ScanPolicy::kDefault;
  uint64_t max_entry_bytes = uint64_t{4} << 30;  // an archive entry inflating past it is a finding
  // All the entries and compressed streams of one file together: many
  // entries each under max_entry_bytes can still inflate without end.
  uint64_t max_total_bytes = uint64_t{16} << 30;
  int max_depth = 8;  // archives and pickles nested deeper are a finding
};

struct FileReport {
  std::string path;
  // "pickle", "npy", "safetensors", "gguf", "onnx", "zip" (with "pytorch",
  // "torchscript", "keras" or "npz" when it is one), "hdf5" ("hdf5 (keras)"
  // with a model config), "json (keras)" / "json (tokenizer)",
  // "compressed" (zlib / gzip: inflated and scanned; bzip2, xz, lz4, zstd:
  // a finding), or "unknown" (no format this scanner inspects: not
  // scanned).
  std::string format;
  std::vector<Finding> findings;

  bool clean() const { return findings.empty(); }
};

// Scans `data`, the content of the file `path` (for the report).
FileReport ScanBytes(std::string_view data, const std::string& path, const ScanOptions& options);

// Maps and scans a file. Errors: the file cannot be read.
Result<FileReport> ScanFile(const std::filesystem::path& path, const ScanOptions& options);

}  // namespace citadel::scan
