// safetensors: the only tensor format Citadel writes. Layout (docs/formats/
// safetensors.md): u64 little-endian header length N, N bytes of JSON header
// {name: {dtype, shape, data_offsets:[begin,end]}, "__metadata__": {str: str}},
// then the data buffer. Parsing is strict: every offset in bounds, sizes match
// dtype × shape, tensors neither overlap nor leave holes, no trailing bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace citadel::formats {

enum class DType { kBool, kU8, kI8, kI16, kI32, kI64, kF16, kBF16, kF32, kF64 };

std::string_view DTypeName(DType dtype);
size_t DTypeSize(DType dtype);
Result<DType> DTypeFromName(std::string_view name);

struct TensorView {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  std::string_view data;  // points into the owning SafetensorsFile

  int64_t NumElements() const;
};

// Builds a safetensors file in memory. Tensors are laid out sorted by name, so
// the same tensors always serialise to the same bytes.
class SafetensorsWriter {
 public:
  // `data` must hold exactly product(shape) * DTypeSize(dtype) bytes.
  Status Add(std::string name, DType dtype, std::vector<int64_t> shape, std::string data);
  // A tensor whose bytes `fill` writes when serialised, straight into the
  // output: large tensors gathered from other storage are copied once, and
  // SerializeTo holds no more of them than about a MiB (or one row, when a
  // row is larger). `fill(first_row, bytes)` writes rows [first_row,
  // first_row + bytes.size() / row bytes) of dimension 0 into `bytes`
  // (zeroed before): Serialize asks for every row at once, SerializeTo for
  // consecutive runs of whole rows.
  using Filler = std::function<void(int64_t first_row, std::span<char> bytes)>;
  Status AddFilled(std::string name, DType dtype, std::vector<int64_t> shape, Filler fill);
  // A tensor whose bytes stay where they are (the caller keeps them alive
  // until serialised): written straight from there, never copied in here.
  Status AddView(std::string name, DType dtype, std::vector<int64_t> shape, std::string_view data);
  void SetMetadata(std::string key, std::string value) {
    metadata_[std::move(key)] = std::move(value);
  }
  std::string Serialize() const;
  // The same bytes, handed to `sink` piece by piece (the header, each stored
  // tensor whole, a filled tensor in pieces of about kStreamPiece bytes)
  // instead of assembled: a large file needs no copy of itself in memory.
  // Stops at the first error `sink` returns.
  static constexpr size_t kStreamPiece = size_t{1} << 20;
  using Sink = std::function<Status(std::string_view bytes)>;
  Status SerializeTo(const Sink& sink) const;

 private:
  struct Entry {
    DType dtype;
    std::vector<int64_t> shape;
    std::string data;
    uint64_t size = 0;       // bytes: data.size(), or what `fill` writes
    uint64_t row_bytes = 0;  // bytes of one index of dimension 0 (all of them for a scalar)
    Filler fill;
    std::string_view view;  // AddView: the bytes, not owned
    bool is_view = false;
  };
  std::string Header() const;  // length prefix + padded JSON header
  Status AddEntry(std::string name, Entry entry);

  std::map<std::string, Entry> tensors_;
  std::map<std::string, std::string> metadata_;
};

// A parsed, validated safetensors file that owns its bytes.
class SafetensorsFile {
 public:
  // `source` names the file or artifact in error messages.
  static Result<SafetensorsFile> Parse(std::string bytes, std::string_view source);
  // The same checks, without taking (or copying) the bytes: the views point
  // into `bytes`, which the caller keeps alive while the file is used.
  static Result<SafetensorsFile> ParseBorrowed(std::string_view bytes, std::string_view source);

  const std::vector<TensorView>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // NotFound (naming the source) when absent.
  Result<const TensorView*> Get(std::string_view name) const;

  SafetensorsFile(SafetensorsFile&&) = default;
  SafetensorsFile& operator=(SafetensorsFile&&) = default;

 private:
  SafetensorsFile() = default;
  // Parses `data` (bytes_ or borrowed memory) into tensors_ and metadata_.
  Status ParseFrom(std::string_view data);
  std::string source_;
  std::string bytes_;
  std::vector<TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Typed copies for the common cases.
template <typename T>
std::string BytesOf(std::span<const T> values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size_bytes());
}

}  // namespace citadel::formats
