#include "scan/formats/onnx.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "scan/formats/protobuf_wire.h"

namespace citadel::scan {
namespace {

constexpr int kMaxDepth = 64;
constexpr uint64_t kExternal = 1;  // TensorProto.DataLocation.EXTERNAL

constexpr std::array<std::string_view, 5> kStandardDomains = {
    "", "ai.onnx", "ai.onnx.ml", "ai.onnx.training", "ai.onnx.preview.training"};
constexpr std::array<std::string_view, 4> kRuntimeDomains = {
    "com.microsoft", "com.microsoft.nchwc", "com.microsoft.experimental", "com.ms.internal.nhwc"};

template <size_t N>
bool In(const std::array<std::string_view, N>& set, std::string_view s) {
  for (std::string_view x : set) {
    if (x == s) return true;
  }
  return false;
}

// Why `location` would take a loader outside the model's directory; empty
// when it stays inside.
std::string LocationProblem(std::string_view location) {
  if (location.find('\0') != std::string_view::npos) return "it holds a NUL byte";
  if (location.front() == '/' || location.front() == '\\') return "it is an absolute path";
  if (location.size() >= 2 && location[1] == ':' &&
      std::isalpha(static_cast<unsigned char>(location[0]))) {
    return "it is a drive path";
  }
  if (location.find("://") != std::string_view::npos || location.starts_with("file:")) {
    return "it is a URL";
  }
  if (location.front() == '~') return "it names a home directory";
  int depth = 0;
  size_t at = 0;
  while (at <= location.size()) {
    size_t end = location.find_first_of("/\\", at);
    if (end == std::string_view::npos) end = location.size();
    const std::string_view part = location.substr(at, end - at);
    if (part == "..") {
      if (--depth < 0) return "its '..' climbs out of the model's directory";
    } else if (!part.empty() && part != ".") {
      ++depth;
    }
    at = end + 1;
  }
  return "";
}

bool IsModelField(uint64_t tag) {
  const uint64_t number = tag >> 3, type = tag & 7;
  switch (number) {
    case 1:
    case 5:
      return type == 0;
    case 2:
    case 3:
    case 4:
    case 6:
    case 7:
    case 8:
    case 14:
    case 20:
    case 25:
      return type == 2;
    default:
      return false;
  }
}

// A varint at `at` without bounds beyond `data`; false when cut or too long.
bool ReadVarint(std::string_view data, size_t& at, uint64_t& out) {
  out = 0;
  for (int shift = 0; shift < 64 && at < data.size(); shift += 7) {
    const auto byte = static_cast<unsigned char>(data[at++]);
    out |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

bool ParsesAsMessage(std::string_view data) {
  WireReader reader(data);
  WireField field;
  while (reader.Next(field)) {
  }
  return !reader.error();
}

class OnnxWalker {
 public:
  OnnxWalker(std::string_view data, ScanPolicy policy) : data_(data), policy_(policy) {}

  std::vector<Finding> Run() {
    LocalFunctions();
    Model();
    CustomOperators();
    return std::move(findings_);
  }

 private:
  // Calls `visit` on each field of the message `bytes` at `base`; a parse
  // error is a finding.
  template <typename Visit>
  void Fields(std::string_view bytes, uint64_t base, Visit visit) {
    WireReader reader(bytes, base);
    WireField field;
    while (reader.Next(field)) visit(field);
    if (reader.error()) Malformed(reader.error_offset(), *reader.error());
  }

  // A known field must have its schema's wire type, as a protobuf parser
  // requires.
  bool Is(const WireField& f, WireType type, std::string_view what) {
    if (f.type == type) return true;
    Malformed(f.offset, fmt::format("{} (field {}) has the wrong wire type", what, f.number));
    return false;
  }

  bool Deeper(int depth, uint64_t at) {
    if (depth <= kMaxDepth) return true;
    Malformed(at, fmt::format("messages nested more than {} deep", kMaxDepth));
    return false;
  }

  // The functions a node may call by (domain, name) without any library.
  void LocalFunctions() {
    WireReader reader(data_);
    WireField f;
    while (reader.Next(f)) {
      if (f.number != 25 || f.type != WireType::kLength) continue;
      std::string domain, name;
      WireReader fn(f.bytes);
      WireField g;
      while (fn.Next(g)) {
        if (g.type != WireType::kLength) continue;
        if (g.number == 10) domain = g.bytes;
        if (g.number == 1) name = g.bytes;
      }
      functions_.insert({domain, name});
    }
  }

  void Model() {
    bool graph = false, functions = false, opsets = false;
    uint64_t ir_version = 0;
    Fields(data_, 0, [&](const WireField& f) {
      if (f.number == 1) {
        if (Is(f, WireType::kVarint, "ir_version")) ir_version = f.value;
      } else if (f.number == 8) {
        opsets |= Is(f, WireType::kLength, "opset_import");
      } else if (f.number == 7 && Is(f, WireType::kLength, "graph")) {
        graph = true;
        Graph(f, 1);
      } else if (f.number == 20 && Is(f, WireType::kLength, "training_info")) {
        Fields(f.bytes, f.bytes_offset, [&](const WireField& t) {
          if ((t.number == 1 || t.number == 2) && Is(t, WireType::kLength, "training graph")) {
            Graph(t, 2);
          }
        });
      } else if (f.number == 25 && Is(f, WireType::kLength, "function")) {
        functions = true;
        Fields(f.bytes, f.bytes_offset, [&](const WireField& n) {
          if (n.number == 7 && Is(n, WireType::kLength, "function node")) Node(n, 2);
        });
      }
    });
    if (!findings_.empty()) return;
    if (!graph && !functions) Malformed(0, "the model has no graph");
    // The ONNX checker requires it from IR version 3 on; a model cut short
    // after its graph lacks it too.
    if (ir_version >= 3 && !opsets) Malformed(0, "the model has no opset_import");
  }

  void Graph(const WireField& g, int depth) {
    if (!Deeper(depth, g.offset)) return;
    Fields(g.bytes, g.bytes_offset, [&](const WireField& f) {
      if (f.number == 1 && Is(f, WireType::kLength, "node")) {
        Node(f, depth + 1);
      } else if (f.number == 5 && Is(f, WireType::kLength, "initializer")) {
        Tensor(f, depth + 1);
      } else if (f.number == 15 && Is(f, WireType::kLength, "sparse_initializer")) {
        SparseTensor(f, depth + 1);
      }
    });
  }

  void Node(const WireField& n, int depth) {
    if (!Deeper(depth, n.offset)) return;
    std::string domain, op_type;
    bool has_op = false;
    Fields(n.bytes, n.bytes_offset, [&](const WireField& f) {
      if (f.number == 4 && Is(f, WireType::kLength, "op_type")) {
        op_type = f.bytes;
        has_op = true;
      } else if (f.number == 7 && Is(f, WireType::kLength, "domain")) {
        domain = f.bytes;
      } else if (f.number == 5 && Is(f, WireType::kLength, "attribute")) {
        Attribute(f, depth + 1);
      }
    });
    if (!has_op) {
      Malformed(n.offset, "a node has no op_type");
      return;
    }
    operators_.emplace(std::make_pair(domain, op_type), n.offset);
  }

  void Attribute(const WireField& a, int depth) {
    if (!Deeper(depth, a.offset)) return;
    Fields(a.bytes, a.bytes_offset, [&](const WireField& f) {
      if ((f.number == 5 || f.number == 10) && Is(f, WireType::kLength, "attribute tensor")) {
        Tensor(f, depth + 1);
      } else if ((f.number == 6 || f.number == 11) && Is(f, WireType::kLength, "subgraph")) {
        Graph(f, depth + 1);
      } else if ((f.number == 22 || f.number == 23) &&
                 Is(f, WireType::kLength, "attribute sparse tensor")) {
        SparseTensor(f, depth + 1);
      }
    });
  }

  void SparseTensor(const WireField& s, int depth) {
    if (!Deeper(depth, s.offset)) return;
    Fields(s.bytes, s.bytes_offset, [&](const WireField& f) {
      if ((f.number == 1 || f.number == 2) && Is(f, WireType::kLength, "sparse tensor part")) {
        Tensor(f, depth + 1);
      }
    });
  }

  void Tensor(const WireField& t, int depth) {
    if (!Deeper(depth, t.offset)) return;
    std::string name;
    uint64_t location_kind = 0;
    std::vector<std::pair<std::string_view, uint64_t>> locations;
    Fields(t.bytes, t.bytes_offset, [&](const WireField& f) {
      if (f.number == 8 && Is(f, WireType::kLength, "tensor name")) {
        name = f.bytes;
      } else if (f.number == 14 && Is(f, WireType::kVarint, "data_location")) {
        location_kind = f.value;
      } else if (f.number == 13 && Is(f, WireType::kLength, "external_data")) {
        std::string_view key, value;
        Fields(f.bytes, f.bytes_offset, [&](const WireField& e) {
          if (e.type != WireType::kLength) return;
          if (e.number == 1) key = e.bytes;
          if (e.number == 2) value = e.bytes;
        });
        if (key == "location") locations.emplace_back(value, f.offset);
      }
    });
    for (const auto& [location, at] : locations) {
      if (location.empty()) {
        Malformed(at, fmt::format("tensor '{}' has an empty external data location", name));
      } else if (std::string why = LocationProblem(location); !why.empty()) {
        Add(at, Severity::kDangerous, "external-data",
            fmt::format("tensor '{}' reads its data from '{}': {}, so loading the model reads a "
                        "file outside it",
                        name, location.substr(0, 256), why));
      }
    }
    if (location_kind == kExternal && locations.empty()) {
      Malformed(t.offset, fmt::format("tensor '{}' keeps its data externally but names no "
                                      "location",
                                      name));
    }
  }

  void CustomOperators() {
    for (const auto& [op, at] : operators_) {
      const auto& [domain, op_type] = op;
      if (In(kStandardDomains, domain) || functions_.count(op) != 0) continue;
      if (In(kRuntimeDomains, domain)) {
        if (policy_ == ScanPolicy::kStrict) {
          Add(at, Severity::kSuspicious, "custom-operator",
              fmt::format("operator {}::{} is one of ONNX Runtime's contributed kernels, outside "
                          "the ONNX standard",
                          domain, op_type));
        }
        continue;
      }
      Add(at, policy_ == ScanPolicy::kStrict ? Severity::kDangerous : Severity::kSuspicious,
          "custom-operator",
          fmt::format("operator {}::{} is in a custom domain: running the model needs a custom "
                      "operator library (native code) registered with the runtime",
                      domain.substr(0, 128), op_type.substr(0, 128)));
    }
  }

  void Malformed(uint64_t at, std::string detail) {
    Add(at, Severity::kSuspicious, "malformed-onnx", std::move(detail));
  }

  void Add(uint64_t at, Severity severity, std::string rule, std::string detail) {
    findings_.push_back({"", "", at, severity, std::move(rule), std::move(detail)});
  }

  std::string_view data_;
  ScanPolicy policy_;
  std::set<std::pair<std::string, std::string>> functions_;
  // (domain, op_type) → offset of the first node using it.
  std::map<std::pair<std::string, std::string>, uint64_t> operators_;
  std::vector<Finding> findings_;
};

}  // namespace

bool LooksLikeOnnx(std::string_view data) {
  size_t at = 0;
  uint64_t tag = 0, ir_version = 0, next = 0;
  if (!data.empty() && data[0] == 0x08 && ReadVarint(data, at, tag) &&
      ReadVarint(data, at, ir_version) && ir_version >= 1 && ir_version <= 100 &&
      ReadVarint(data, at, next) && IsModelField(next)) {
    return true;
  }
  WireReader reader(data);
  WireField f;
  bool graph = false, version = false;
  while (reader.Next(f)) {
    if (f.number == 7 && f.type == WireType::kLength) graph |= ParsesAsMessage(f.bytes);
    if (f.number == 1 && f.type == WireType::kVarint) version = true;
    if (f.number == 8 && f.type == WireType::kLength) version = true;
  }
  return !reader.error() && graph && version;
}

std::vector<Finding> ScanOnnx(std::string_view data, ScanPolicy policy) {
  return OnnxWalker(data, policy).Run();
}

}  // namespace citadel::scan
