#include "scan/formats/gguf.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>
#include <string>

#include "scan/formats/chat_template.h"
#include "scan/formats/little_endian.h"

namespace citadel::scan {
namespace {

// GGUF value types (gguf_type).
enum : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

// Bytes of a fixed-size value; 0 for strings and arrays.
uint64_t FixedSize(uint32_t type) {
  switch (type) {
    case kUint8:
    case kInt8:
    case kBool:
      return 1;
    case kUint16:
    case kInt16:
      return 2;
    case kUint32:
    case kInt32:
    case kFloat32:
      return 4;
    case kUint64:
    case kInt64:
    case kFloat64:
      return 8;
    default:
      return 0;
  }
}

// The fewest bytes a value of `type` takes: what bounds an array's count.
uint64_t MinimumSize(uint32_t type) {
  if (type == kString) return 8;  // its length
  if (type == kArray) return 12;  // element type and count
  return FixedSize(type);
}

// ggml tensor types: elements per block and bytes per block, from the
// block structs of ggml-common.h (QK_K = 256). Ids absent here were
// removed from ggml (4, 5, 31–33, 36–38) and are refused as llama.cpp does.
struct GgmlType {
  uint32_t id;
  const char* name;
  uint64_t block;
  uint64_t bytes;
};

constexpr std::array<GgmlType, 32> kGgmlTypes = {{
    {0, "F32", 1, 4},         {1, "F16", 1, 2},         {2, "Q4_0", 32, 18},
    {3, "Q4_1", 32, 20},      {6, "Q5_0", 32, 22},      {7, "Q5_1", 32, 24},
    {8, "Q8_0", 32, 34},      {9, "Q8_1", 32, 36},      {10, "Q2_K", 256, 84},
    {11, "Q3_K", 256, 110},   {12, "Q4_K", 256, 144},   {13, "Q5_K", 256, 176},
    {14, "Q6_K", 256, 210},   {15, "Q8_K", 256, 292},   {16, "IQ2_XXS", 256, 66},
    {17, "IQ2_XS", 256, 74},  {18, "IQ3_XXS", 256, 98}, {19, "IQ1_S", 256, 50},
    {20, "IQ4_NL", 32, 18},   {21, "IQ3_S", 256, 110},  {22, "IQ2_S", 256, 82},
    {23, "IQ4_XS", 256, 136}, {24, "I8", 1, 1},         {25, "I16", 1, 2},
    {26, "I32", 1, 4},        {27, "I64", 1, 8},        {28, "F64", 1, 8},
    {29, "IQ1_M", 256, 56},   {30, "BF16", 1, 2},       {34, "TQ1_0", 256, 54},
    {35, "TQ2_0", 256, 66},   {39, "MXFP4", 32, 17},
}};

const GgmlType* FindGgmlType(uint32_t id) {
  for (const GgmlType& t : kGgmlTypes) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

constexpr uint64_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 4;         // GGML_MAX_DIMS
constexpr uint64_t kMaxNameLength = 63;  // GGML_MAX_NAME - 1
constexpr int kMaxArrayNesting = 4;
// The smallest tensor info (a name length, n_dims, type, offset) and the
// smallest key/value (a key length, a type, one byte): what bounds the
// header's counts.
constexpr uint64_t kMinTensorInfo = 8 + 4 + 4 + 8;
constexpr uint64_t kMinKeyValue = 8 + 4 + 1;

class GgufReader {
 public:
  explicit GgufReader(std::string_view data) : data_(data) {}

  std::vector<Finding> Run() {
    if (Header() && KeyValues()) Tensors();
    return std::move(findings_);
  }

 private:
  struct TensorExtent {
    std::string name;
    uint64_t info_offset;
    uint64_t begin;
    uint64_t size;
  };

  bool Header() {
    if (data_.size() < 24) return Fail(0, "the 24-byte header is truncated");
    const uint64_t version = LoadLittleEndian(data_, 4, 4);
    if (version == 1) {
      return Fail(4, "GGUF version 1 (32-bit counts) is obsolete; llama.cpp refuses it");
    }
    if (version == 0x02000000 || version == 0x03000000) {
      return Fail(4, "a big-endian GGUF file: its structure is not inspected");
    }
    if (version != 2 && version != 3) {
      return Fail(4, fmt::format("unknown GGUF version {}", version));
    }
    tensor_count_ = LoadLittleEndian(data_, 8, 8);
    kv_count_ = LoadLittleEndian(data_, 16, 8);
    pos_ = 24;
    if (kv_count_ > Remaining() / kMinKeyValue) {
      return Fail(16, fmt::format("{} key/values cannot fit in the {} bytes that follow", kv_count_,
                                  Remaining()));
    }
    if (tensor_count_ > Remaining() / kMinTensorInfo) {
      return Fail(8, fmt::format("{} tensor infos cannot fit in the {} bytes that follow",
                                 tensor_count_, Remaining()));
    }
    return true;
  }

  bool KeyValues() {
    std::set<std::string_view> keys;
    for (uint64_t i = 0; i < kv_count_; ++i) {
      const uint64_t at = pos_;
      std::string_view key;
      uint32_t type = 0;
      if (!String(key, "key") || !Uint32(type)) return false;
      if (!keys.insert(key).second) Problem(at, fmt::format("key '{}' appears twice", key));
      const uint64_t value_at = pos_;
      std::string_view text;
      uint64_t number = 0;
      if (!Value(type, 0, &text, &number)) return false;
      if (key == "general.alignment") {
        if (type != kUint32 || number == 0 || (number & (number - 1)) != 0) {
          Problem(value_at,
                  "general.alignment is not a power of two of type uint32; "
                  "the default of 32 is assumed");
        } else {
          alignment_ = number;
        }
      } else if (key == "tokenizer.chat_template" || key.starts_with("tokenizer.chat_template.")) {
        if (type != kString) {
          Problem(value_at, fmt::format("{} is not a string", key));
        } else {
          ChatTemplate(key, text, value_at + 8);
        }
      }
    }
    return true;
  }

  // A value of `type` at pos_. `text` / `number` get a string's bytes or an
  // integer's value when the caller wants them.
  bool Value(uint32_t type, int depth, std::string_view* text, uint64_t* number) {
    if (type == kString) {
      std::string_view s;
      if (!String(s, "string value")) return false;
      if (text != nullptr) *text = s;
      return true;
    }
    if (type == kArray) return Array(depth);
    const uint64_t size = FixedSize(type);
    if (size == 0) return Fail(pos_ - 4, fmt::format("unknown value type {}", type));
    if (!Need(size, "value")) return false;
    if (number != nullptr) *number = LoadLittleEndian(data_, pos_, size);
    pos_ += size;
    return true;
  }

  bool Array(int depth) {
    if (depth >= kMaxArrayNesting) {
      return Fail(pos_, fmt::format("arrays nested more than {} deep", kMaxArrayNesting));
    }
    const uint64_t at = pos_;
    uint32_t type = 0;
    uint64_t count = 0;
    if (!Uint32(type) || !Uint64(count)) return false;
    const uint64_t min = MinimumSize(type);
    if (min == 0) return Fail(at, fmt::format("unknown array element type {}", type));
    if (count > Remaining() / min) {
      return Fail(at, fmt::format("an array of {} elements cannot fit in the {} bytes that follow",
                                  count, Remaining()));
    }
    if (type != kString && type != kArray) {
      pos_ += count * min;
      return true;
    }
    for (uint64_t i = 0; i < count; ++i) {
      if (!Value(type, depth + 1, nullptr, nullptr)) return false;
    }
    return true;
  }

  void Tensors() {
    std::set<std::string_view> names;
    std::vector<TensorExtent> extents;
    for (uint64_t i = 0; i < tensor_count_; ++i) {
      const uint64_t at = pos_;
      std::string_view name;
      uint32_t n_dims = 0;
      if (!String(name, "tensor name") || !Uint32(n_dims)) return;
      if (name.size() > kMaxNameLength) {
        Problem(at, fmt::format("tensor name of {} bytes is longer than ggml's {}", name.size(),
                                kMaxNameLength));
      }
      if (!names.insert(name).second) Problem(at, fmt::format("tensor '{}' appears twice", name));
      if (n_dims > kMaxDims) {
        Fail(at,
             fmt::format("tensor '{}' has {} dimensions (ggml allows {})", name, n_dims, kMaxDims));
        return;
      }
      uint64_t elements = 1, first_dim = 1;
      bool overflow = false;
      for (uint32_t d = 0; d < n_dims; ++d) {
        uint64_t dim = 0;
        if (!Uint64(dim)) return;
        if (d == 0) first_dim = dim;
        if (dim > uint64_t{INT64_MAX} || (dim != 0 && elements > uint64_t{INT64_MAX} / dim)) {
          overflow = true;
        } else {
          elements *= dim;
        }
      }
      uint32_t type_id = 0;
      uint64_t offset = 0;
      if (!Uint32(type_id) || !Uint64(offset)) return;
      const GgmlType* type = FindGgmlType(type_id);
      if (overflow) {
        Problem(at, fmt::format("tensor '{}': its element count overflows", name));
      } else if (type == nullptr) {
        Problem(at, fmt::format("tensor '{}': unknown ggml type {}", name, type_id));
      } else if (first_dim % type->block != 0) {
        Problem(at, fmt::format("tensor '{}': first dimension {} is not a multiple of {}'s "
                                "block of {}",
                                name, first_dim, type->name, type->block));
      } else if (elements / type->block > UINT64_MAX / type->bytes) {
        Problem(at, fmt::format("tensor '{}': its size overflows", name));
      } else {
        extents.push_back({std::string(name), at, offset, elements / type->block * type->bytes});
      }
      if (offset % alignment_ != 0) {
        Problem(at, fmt::format("tensor '{}': offset {} is not aligned to {}", name, offset,
                                alignment_));
      }
    }
    Data(extents);
  }

  // Each tensor inside the data section, none on top of another.
  void Data(std::vector<TensorExtent>& extents) {
    const uint64_t data_start = (pos_ + alignment_ - 1) / alignment_ * alignment_;
    if (extents.empty()) return;
    if (data_start > data_.size()) {
      Problem(pos_, fmt::format("the tensor data section (at {}) starts past the end of the "
                                "{}-byte file",
                                data_start, data_.size()));
      return;
    }
    const uint64_t data_size = data_.size() - data_start;
    std::sort(extents.begin(), extents.end(), [](const TensorExtent& a, const TensorExtent& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.info_offset < b.info_offset;
    });
    uint64_t previous_end = 0;
    const TensorExtent* previous = nullptr;
    for (const TensorExtent& t : extents) {
      if (t.begin > data_size || t.size > data_size - t.begin) {
        Problem(t.info_offset, fmt::format("tensor '{}': {} bytes at data offset {} run past the "
                                           "{}-byte data section",
                                           t.name, t.size, t.begin, data_size));
        continue;
      }
      if (previous != nullptr && t.begin < previous_end) {
        Problem(t.info_offset, fmt::format("tensor '{}' overlaps tensor '{}' at data offset {}",
                                           t.name, previous->name, t.begin));
      }
      if (previous == nullptr || t.begin + t.size > previous_end) {
        previous_end = t.begin + t.size;
        previous = &t;
      }
    }
  }

  void ChatTemplate(std::string_view key, std::string_view text, uint64_t text_offset) {
    for (const TemplateMarker& m : FindTemplateInjection(text)) {
      findings_.push_back(
          {"", "", text_offset + m.offset, Severity::kDangerous, "template-injection",
           fmt::format("{}: '{}' at character {}: {} (server-side template injection, as in "
                       "CVE-2024-34359)",
                       key, m.marker, m.offset, m.why)});
    }
  }

  uint64_t Remaining() const { return data_.size() - pos_; }

  bool Need(uint64_t n, std::string_view what) {
    if (n <= Remaining()) return true;
    return Fail(pos_, fmt::format("{} truncated: {} bytes needed, {} left", what, n, Remaining()));
  }

  bool Uint32(uint32_t& out) {
    if (!Need(4, "uint32")) return false;
    out = static_cast<uint32_t>(LoadLittleEndian(data_, pos_, 4));
    pos_ += 4;
    return true;
  }

  bool Uint64(uint64_t& out) {
    if (!Need(8, "uint64")) return false;
    out = LoadLittleEndian(data_, pos_, 8);
    pos_ += 8;
    return true;
  }

  bool String(std::string_view& out, std::string_view what) {
    const uint64_t at = pos_;
    uint64_t length = 0;
    if (!Uint64(length)) return false;
    if (length > Remaining()) {
      return Fail(
          at, fmt::format("{} of {} bytes runs past the end ({} left)", what, length, Remaining()));
    }
    out = data_.substr(pos_, length);
    pos_ += length;
    return true;
  }

  void Problem(uint64_t at, std::string detail) {
    findings_.push_back({"", "", at, Severity::kSuspicious, "malformed-gguf", std::move(detail)});
  }

  // A problem after which the rest cannot be read.
  bool Fail(uint64_t at, std::string detail) {
    Problem(at, std::move(detail));
    return false;
  }

  std::string_view data_;
  uint64_t pos_ = 0;
  uint64_t tensor_count_ = 0;
  uint64_t kv_count_ = 0;
  uint64_t alignment_ = kDefaultAlignment;
  std::vector<Finding> findings_;
};

}  // namespace

bool LooksLikeGguf(std::string_view data) { return data.starts_with("GGUF"); }

std::vector<Finding> ScanGguf(std::string_view data) { return GgufReader(data).Run(); }

}  // namespace citadel::scan
