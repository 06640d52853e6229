#include "formats/safetensors.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "base/text/json.h"

namespace citadel::formats {
namespace {

// Larger headers are refused outright: no legitimate file needs 100 MB of JSON,
// and a hostile length must not make us allocate it.
constexpr uint64_t kMaxHeaderSize = 100ull << 20;

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::kBool, "BOOL", 1}, {DType::kU8, "U8", 1},     {DType::kI8, "I8", 1},
    {DType::kI16, "I16", 2},   {DType::kI32, "I32", 4},   {DType::kI64, "I64", 8},
    {DType::kF16, "F16", 2},   {DType::kBF16, "BF16", 2}, {DType::kF32, "F32", 4},
    {DType::kF64, "F64", 8},
};

// Product of dims, or -1 on a negative dim or overflow.
int64_t CheckedProduct(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) return -1;
    n *= d;
  }
  return n;
}

}  // namespace

std::string_view DTypeName(DType dtype) {
  for (const auto& info : kDTypes) {
    if (info.dtype == dtype) return info.name;
  }
  return "?";
}

size_t DTypeSize(DType dtype) {
  for (const auto& info : kDTypes) {
    if (info.dtype == dtype) return info.size;
  }
  return 0;
}

Result<DType> DTypeFromName(std::string_view name) {
  for (const auto& info : kDTypes) {
    if (info.name == name) return info.dtype;
  }
  return InvalidArgumentError(fmt::format("unknown safetensors dtype '{}'", name));
}

int64_t TensorView::NumElements() const { return CheckedProduct(shape); }

Status SafetensorsWriter::Add(std::string name, DType dtype, std::vector<int64_t> shape,
                              std::string data) {
  const uint64_t size = data.size();
  return AddEntry(std::move(name),
                  Entry{dtype, std::move(shape), std::move(data), size, 0, nullptr, {}, false});
}

Status SafetensorsWriter::AddFilled(std::string name, DType dtype, std::vector<int64_t> shape,
                                    Filler fill) {
  int64_t n = CheckedProduct(shape);
  if (n < 0 || fill == nullptr) {
    return InvalidArgumentError(fmt::format("tensor '{}': invalid shape or no filler", name));
  }
  const uint64_t size = static_cast<uint64_t>(n) * DTypeSize(dtype);
  const uint64_t rows = shape.empty() ? 1 : static_cast<uint64_t>(shape[0]);
  const uint64_t row_bytes = rows == 0 ? 0 : size / rows;
  return AddEntry(std::move(name),
                  Entry{dtype, std::move(shape), {}, size, row_bytes, std::move(fill), {}, false});
}

Status SafetensorsWriter::AddView(std::string name, DType dtype, std::vector<int64_t> shape,
                                  std::string_view data) {
  return AddEntry(std::move(name),
                  Entry{dtype, std::move(shape), {}, data.size(), 0, nullptr, data, true});
}

Status SafetensorsWriter::AddEntry(std::string name, Entry entry) {
  if (name == "__metadata__" || name.empty()) {
    return InvalidArgumentError(fmt::format("invalid tensor name '{}'", name));
  }
  int64_t n = CheckedProduct(entry.shape);
  if (n < 0 || static_cast<uint64_t>(n) * DTypeSize(entry.dtype) != entry.size) {
    return InvalidArgumentError(fmt::format("tensor '{}': {} bytes do not match shape and dtype {}",
                                            name, entry.size, DTypeName(entry.dtype)));
  }
  if (!tensors_.emplace(name, std::move(entry)).second) {
    return AlreadyExistsError(fmt::format("tensor '{}' added twice", name));
  }
  return Status::Ok();
}

std::string SafetensorsWriter::Header() const {
  Json header = Json::object();
  uint64_t offset = 0;
  for (const auto& [name, entry] : tensors_) {
    header[name] = {{"dtype", DTypeName(entry.dtype)},
                    {"shape", entry.shape},
                    {"data_offsets", {offset, offset + entry.size}}};
    offset += entry.size;
  }
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  std::string header_text = CanonicalJson(header);
  // Pad with spaces so the data buffer starts 8-byte aligned.
  while ((header_text.size() % 8) != 0) header_text.push_back(' ');
  std::string out;
  uint64_t n = header_text.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  return out + header_text;
}

std::string SafetensorsWriter::Serialize() const {
  std::string header = Header();
  uint64_t data_size = 0;
  for (const auto& [name, entry] : tensors_) data_size += entry.size;
  std::string out;
  out.reserve(header.size() + data_size);
  out += header;
  for (const auto& [name, entry] : tensors_) {
    if (entry.is_view) {
      out += entry.view;
    } else if (!entry.fill) {
      out += entry.data;
    } else {
      const size_t start = out.size();
      out.resize(start + entry.size);  // zero-filled
      entry.fill(0, std::span<char>(out.data() + start, entry.size));
    }
  }
  return out;
}

Status SafetensorsWriter::SerializeTo(const Sink& sink) const {
  RETURN_IF_ERROR(sink(Header()));
  std::string piece;  // reused by every filled tensor: it stays in cache
  for (const auto& [name, entry] : tensors_) {
    if (entry.is_view) {
      RETURN_IF_ERROR(sink(entry.view));
    } else if (!entry.fill) {
      RETURN_IF_ERROR(sink(entry.data));
    } else if (entry.size > 0) {
      const uint64_t rows_per_piece = std::max<uint64_t>(1, kStreamPiece / entry.row_bytes);
      const uint64_t rows = entry.size / entry.row_bytes;
      for (uint64_t first = 0; first < rows; first += rows_per_piece) {
        const uint64_t bytes = std::min(rows_per_piece, rows - first) * entry.row_bytes;
        piece.assign(bytes, '\0');
        entry.fill(static_cast<int64_t>(first), std::span<char>(piece.data(), bytes));
        RETURN_IF_ERROR(sink(piece));
      }
    }
  }
  return Status::Ok();
}

Result<SafetensorsFile> SafetensorsFile::Parse(std::string bytes, std::string_view source) {
  SafetensorsFile file;
  file.source_ = std::string(source);
  file.bytes_ = std::move(bytes);
  RETURN_IF_ERROR(file.ParseFrom(file.bytes_));
  return file;
}

Result<SafetensorsFile> SafetensorsFile::ParseBorrowed(std::string_view bytes,
                                                       std::string_view source) {
  SafetensorsFile file;
  file.source_ = std::string(source);
  RETURN_IF_ERROR(file.ParseFrom(bytes));
  return file;
}

Status SafetensorsFile::ParseFrom(std::string_view bytes) {
  const std::string_view source = source_;
  auto fail = [&](const std::string& what) {
    return InvalidArgumentError(fmt::format("{}: invalid safetensors: {}", source, what));
  };
  if (bytes.size() < 8)
    return fail(
        fmt::format("file is {} bytes, shorter than the 8-byte header length", bytes.size()));
  uint64_t header_size = 0;
  for (int i = 0; i < 8; ++i) header_size |= uint64_t(static_cast<uint8_t>(bytes[i])) << (8 * i);
  if (header_size > kMaxHeaderSize)
    return fail(fmt::format("header length {} exceeds the 100 MiB limit", header_size));
  if (header_size > bytes.size() - 8) {
    return fail(fmt::format("header length {} runs past the end of the {}-byte file", header_size,
                            bytes.size()));
  }

  std::string_view header_text(bytes.data() + 8, header_size);
  Json header;
  try {
    header = Json::parse(header_text);
  } catch (const Json::exception& e) {
    // Not only parse_error: a number too large for a double ("1e999")
    // throws out_of_range, which must not escape to the caller either.
    return fail(fmt::format("header is not valid JSON: {}", e.what()));
  }
  if (!header.is_object()) return fail("header is not a JSON object");

  const size_t data_start = 8 + header_size;
  const uint64_t buffer_size = bytes.size() - data_start;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;

  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) return fail("__metadata__ is not an object");
      for (const auto& [k, v] : entry.items()) {
        if (!v.is_string()) return fail(fmt::format("__metadata__.{} is not a string", k));
        metadata_[k] = v.get<std::string>();
      }
      continue;
    }
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets")) {
      return fail(fmt::format("tensor '{}' lacks dtype, shape or data_offsets", name));
    }
    if (!entry["dtype"].is_string())
      return fail(fmt::format("tensor '{}': dtype is not a string", name));
    auto dtype = DTypeFromName(entry["dtype"].get<std::string>());
    if (!dtype.ok()) return fail(fmt::format("tensor '{}': {}", name, dtype.status().message()));
    TensorView view;
    view.name = name;
    view.dtype = *dtype;
    if (!entry["shape"].is_array())
      return fail(fmt::format("tensor '{}': shape is not a list", name));
    for (const Json& d : entry["shape"]) {
      if (!d.is_number_unsigned())
        return fail(fmt::format("tensor '{}': shape has a non-natural dimension", name));
      if (d.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())) {
        return fail(fmt::format("tensor '{}': dimension too large", name));
      }
      view.shape.push_back(d.get<int64_t>());
    }
    const Json& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned()) {
      return fail(fmt::format("tensor '{}': data_offsets must be two natural numbers", name));
    }
    uint64_t begin = offsets[0].get<uint64_t>();
    uint64_t end = offsets[1].get<uint64_t>();
    if (begin > end || end > buffer_size) {
      return fail(fmt::format("tensor '{}': data_offsets [{}, {}] outside the {}-byte buffer", name,
                              begin, end, buffer_size));
    }
    int64_t n = view.NumElements();
    if (n < 0 ||
        static_cast<uint64_t>(n) > (end - begin) / std::max<size_t>(1, DTypeSize(view.dtype)) ||
        static_cast<uint64_t>(n) * DTypeSize(view.dtype) != end - begin) {
      return fail(fmt::format("tensor '{}': {} bytes do not match shape and dtype {}", name,
                              end - begin, DTypeName(view.dtype)));
    }
    view.data = std::string_view(bytes.data() + data_start + begin, end - begin);
    ranges.emplace_back(begin, end);
    tensors_.push_back(std::move(view));
  }

  // Tensors must tile the buffer exactly: no overlaps (aliasing tricks), no
  // holes and no trailing bytes (room for smuggled payloads).
  std::sort(ranges.begin(), ranges.end());
  uint64_t cursor = 0;
  for (const auto& [begin, end] : ranges) {
    if (begin < cursor) return fail(fmt::format("tensor data ranges overlap at byte {}", begin));
    if (begin > cursor)
      return fail(fmt::format("unreferenced bytes between offsets {} and {}", cursor, begin));
    cursor = end;
  }
  if (cursor != buffer_size) {
    return fail(fmt::format("{} trailing bytes after the last tensor", buffer_size - cursor));
  }
  return Status::Ok();
}

Result<const TensorView*> SafetensorsFile::Get(std::string_view name) const {
  for (const auto& t : tensors_) {
    if (t.name == name) return &t;
  }
  return NotFoundError(fmt::format("{}: no tensor named '{}'", source_, name));
}

}  // namespace citadel::formats
