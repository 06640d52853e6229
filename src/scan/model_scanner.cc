#include "scan/model_scanner.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <utility>

#include "base/system/mapped_file.h"
#include "scan/callable_policy.h"
#include "scan/formats/gguf.h"
#include "scan/formats/hdf5.h"
#include "scan/formats/keras_config.h"
#include "scan/formats/onnx.h"
#include "scan/formats/tensor_files.h"
#include "scan/formats/zip_archive.h"
#include "scan/pickle_machine.h"

namespace citadel::scan {
namespace {

// Archive entries larger than this that are no known format are taken for
// raw tensor storage (see Zip below).
constexpr uint64_t kRawStorageBytes = uint64_t{1} << 20;

std::string FormatOf(std::string_view data);

// Bytes at `at` that an unpickler would act on although they do not start
// with PROTO (protocols 0 and 1): they walk to a STOP, or they name a
// global before the walk breaks — Python imports and calls it as soon as
// it gets there, whatever follows.
// "a.b_c.d": what an unpickler's find_class can import. Text that merely
// starts with 'c' (Python source: "class Mlp(Module):") names nothing.
bool IsDottedName(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const bool ok = std::isalpha(c) || c == '_' || c >= 0x80 ||
                    (std::isdigit(c) && i > 0 && s[i - 1] != '.') || (c == '.' && s[i - 1] != '.');
    if (!ok) return false;
  }
  return true;
}

bool WalksAsPickleAt(std::string_view data, uint64_t at) {
  if (at >= data.size()) return false;
  const PickleWalk walk = WalkPickle(data, at);
  if (walk.complete && !walk.error && walk.opcodes >= 2) return true;
  for (const PickleGlobal& g : walk.globals) {
    if (IsDottedName(g.module) && IsDottedName(g.name)) return true;
  }
  return false;
}

bool WalksAsPickle(std::string_view data) { return WalksAsPickleAt(data, 0); }

// A Keras v3 archive: config.json beside metadata.json or model.weights.h5.
bool IsKerasArchive(const std::vector<ZipEntry>& entries) {
  bool config = false, keras_part = false;
  for (const ZipEntry& e : entries) {
    config |= e.name == "config.json";
    keras_part |= e.name == "metadata.json" || e.name == "model.weights.h5";
  }
  return config && keras_part;
}

// zlib / gzip streams (joblib's and many .pkl.gz files' compression).
bool LooksLikeDeflate(std::string_view data) {
  if (data.size() < 3) return false;
  const auto b0 = static_cast<unsigned char>(data[0]), b1 = static_cast<unsigned char>(data[1]);
  if (b0 == 0x1f && b1 == 0x8b) return true;                               // gzip
  return (b0 & 0x0f) == 8 && (b0 >> 4) <= 7 && (b0 * 256 + b1) % 31 == 0;  // zlib header
}

// Other compressions a loader may undo but this scanner does not.
std::string_view OtherCompression(std::string_view data) {
  if (data.starts_with("BZh")) return "bzip2";
  if (data.starts_with("\xfd"
                       "7zXZ"))
    return "xz";
  if (data.starts_with("\x04\x22\x4d\x18")) return "lz4";
  if (data.starts_with("\x28\xb5\x2f\xfd")) return "zstd";
  return "";
}

// Inflates a zlib or gzip stream (several gzip members too), at most
// `max_bytes`. nullopt when it is not one (or is corrupt).
std::optional<std::string> Inflate(std::string_view data, uint64_t max_bytes, bool& too_big) {
  z_stream zs{};
  // 32 + 15: detect zlib or gzip from the header.
  if (inflateInit2(&zs, 32 + MAX_WBITS) != Z_OK) return std::nullopt;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(std::min<uint64_t>(data.size(), UINT32_MAX));
  std::string out;
  char buffer[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof(buffer);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - zs.avail_out);
    if (out.size() > max_bytes) {
      too_big = true;
      break;
    }
    if (rc == Z_STREAM_END && zs.avail_in > 0 && static_cast<unsigned char>(*zs.next_in) == 0x1f) {
      rc = inflateReset(&zs);  // the next gzip member
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
  }
  inflateEnd(&zs);
  if (too_big || rc != Z_STREAM_END) return std::nullopt;
  return out;
}

class Scan {
 public:
  Scan(const std::string& path, const ScanOptions& options, FileReport& report)
      : path_(path), options_(options), report_(report) {}

  // `where`: the archive entry (or nested location) being scanned.
  void Content(std::string_view data, const std::string& where, int depth) {
    if (depth > options_.max_depth) {
      Add(where, 0, Severity::kSuspicious, "nesting-too-deep",
          fmt::format("archives or pickles nested more than {} deep are not inspected",
                      options_.max_depth));
      return;
    }
    if (LooksLikeZip(data)) {
      Archive(data, where, depth);
    } else if (LooksLikeNpy(data)) {
      Npy(data, where, depth);
    } else if (LooksLikeSafetensors(data)) {
      if (Status s = CheckSafetensors(data); !s.ok()) {
        Add(where, 0, Severity::kSuspicious, "malformed-safetensors", s.message());
      }
      // A header length can also read as PROTO and opcodes: a file may be
      // valid safetensors and a pickle at once. Scan it as both.
      if (LooksLikeBinaryPickle(data) && WalksAsPickle(data)) Pickles(data, where, depth);
    } else if (LooksLikeGguf(data)) {
      AddAll(where, ScanGguf(data));
    } else if (LooksLikeHdf5(data)) {
      AddAll(where, ScanHdf5Model(data, options_.policy));
      // A user block before the superblock may hold anything, a pickle too.
      if (WalksAsPickle(data)) Pickles(data, where, depth);
    } else if (LooksLikeBinaryPickle(data) || WalksAsPickle(data)) {
      Pickles(data, where, depth);
    } else if (LooksLikeOnnx(data)) {
      AddAll(where, ScanOnnx(data, options_.policy));
    } else if (!JsonConfigKind(data).empty()) {
      AddAll(where, ScanJsonConfig(data, options_.policy));
    } else if (LooksLikeDeflate(data)) {
      if (BudgetSpent(where)) return;
      const uint64_t limit = InflateLimit();
      bool too_big = false;
      std::optional<std::string> inflated = Inflate(data, limit, too_big);
      if (too_big && limit < options_.max_entry_bytes) {
        BudgetExceeded(where);
      } else if (too_big) {
        Add(where, 0, Severity::kSuspicious, "unreadable-entry",
            "the compressed data inflates past the scan limit");
      } else if (inflated) {
        inflated_ += inflated->size();
        Content(*inflated, where.empty() ? "inflated" : where + "!inflated", depth + 1);
      }
    } else if (std::string_view kind = OtherCompression(data); !kind.empty()) {
      Add(where, 0, Severity::kSuspicious, "compressed-content",
          fmt::format("{}-compressed data cannot be inspected; a loader that decompresses it "
                      "may unpickle it (decompress it and scan the result)",
                      kind));
    }
  }

  // Object arrays are stored as a pickle after the header: loading them
  // needs allow_pickle=True, and the pickle is scanned like any other.
  void Npy(std::string_view data, const std::string& where, int depth) {
    Result<NpyLayout> layout = ReadNpyHeader(data);
    if (!layout.ok()) {
      Add(where, 0, Severity::kSuspicious, "malformed-npy", layout.status().message());
      return;
    }
    if (!layout->object_array) return;
    Add(where, layout->data_offset, Severity::kSuspicious, "object-array",
        fmt::format("dtype {} holds Python objects, stored as a pickle (loading needs "
                    "allow_pickle=True)",
                    layout->descr));
    const std::string inner =
        fmt::format("{}@{}", where.empty() ? "npy" : where, layout->data_offset);
    Pickles(data.substr(layout->data_offset), inner, depth + 1);
  }

  void Archive(std::string_view data, const std::string& where, int depth) {
    std::string problem;
    Result<std::vector<ZipEntry>> entries = ReadZipDirectory(data, &problem);
    if (!entries.ok()) {
      Add(where, 0, Severity::kSuspicious, "malformed-archive",
          fmt::format("the ZIP archive cannot be read: {}", entries.status().message()));
      return;
    }
    if (!problem.empty()) Add(where, 0, Severity::kSuspicious, "malformed-archive", problem);
    const bool keras = IsKerasArchive(*entries);
    for (const ZipEntry& e : *entries) {
      const std::string entry = where.empty() ? e.name : where + "!" + e.name;
      if (BudgetSpent(entry)) return;
      const uint64_t limit = InflateLimit();
      bool over_limit = false;
      Result<ZipEntryData> content = ReadZipEntry(data, e, limit, &over_limit);
      if (!content.ok() && over_limit && limit < options_.max_entry_bytes) {
        BudgetExceeded(entry);
        return;
      }
      if (!content.ok()) {
        Add(entry, 0, Severity::kSuspicious, e.encrypted() ? "encrypted-entry" : "unreadable-entry",
            fmt::format("the entry cannot be inspected: {}", content.status().message()));
        continue;
      }
      if (content->local_name != e.name) {
        Add(entry, 0, Severity::kSuspicious, "misleading-entry-name",
            fmt::format("the local header names it '{}'", content->local_name));
      }
      const std::string_view bytes = content->bytes();
      // A large entry that is no format this scanner knows is raw tensor
      // storage, which loading reads as numbers and cannot run: its CRC is
      // left unchecked, so a checkpoint's scan costs the same whatever its
      // weights weigh. Alterations of weights are what signatures catch;
      // every pickle, archive and config is still CRC-checked.
      const bool raw_storage = bytes.size() > kRawStorageBytes && FormatOf(bytes) == "unknown";
      if (!raw_storage && !ZipCrcMatches(e, bytes)) {
        Add(entry, 0, Severity::kSuspicious, "crc-mismatch",
            "its CRC-32 does not match the directory's: the archive was altered");
      }
      inflated_ += content->deflated ? bytes.size() : 0;
      // Keras loads config.json by name and reads it as Python's json does
      // (UTF-16 and UTF-32 too): one this scanner cannot read as a Keras
      // config must not pass as clean.
      if (keras && e.name == "config.json" && JsonConfigKind(bytes) != "keras") {
        Add(entry, 0, Severity::kSuspicious, "malformed-keras",
            "the archive's config.json is not a Keras config this scanner can read");
      }
      if (!raw_storage) Content(bytes, entry, depth + 1);
    }
  }

  // One or more pickles in a row, from the start of `data`.
  void Pickles(std::string_view data, const std::string& where, int depth) {
    uint64_t at = 0;
    while (at < data.size()) {
      const PickleWalk walk = WalkPickle(data, at);
      Judge(walk, where, depth);
      if (!walk.complete) return;
      at = walk.end;
      const std::string_view rest = data.substr(at);
      // Legacy torch.save files end with raw storage bytes after their
      // pickles; what follows is judged only if an unpickler would act on it.
      if (!LooksLikeBinaryPickle(rest) && !WalksAsPickleAt(data, at)) return;
    }
  }

 private:
  // What one more entry or stream may inflate to: the per-entry limit, or
  // what is left of the file's budget when that is less.
  uint64_t InflateLimit() const {
    const uint64_t left =
        options_.max_total_bytes > inflated_ ? options_.max_total_bytes - inflated_ : 0;
    return std::min(options_.max_entry_bytes, left);
  }

  // True once the budget is spent: what follows is not inspected (and was
  // reported once, by BudgetExceeded).
  bool BudgetSpent(const std::string& where) {
    if (budget_exceeded_) return true;
    if (inflated_ < options_.max_total_bytes) return false;
    BudgetExceeded(where);
    return true;
  }

  void BudgetExceeded(const std::string& where) {
    if (budget_exceeded_) return;
    budget_exceeded_ = true;
    Add(where, 0, Severity::kSuspicious, "scan-budget-exceeded",
        fmt::format("the file's archive entries and compressed streams inflate past the {} "
                    "bytes a scan reads in all (a decompression bomb?): this entry and the rest "
                    "are not inspected",
                    options_.max_total_bytes));
  }

  // Findings of a format reader, placed in this file and entry.
  void AddAll(const std::string& where, std::vector<Finding> findings) {
    for (Finding& f : findings) {
      f.path = path_;
      f.entry = where;
      report_.findings.push_back(std::move(f));
    }
  }

  void Judge(const PickleWalk& walk, const std::string& where, int depth) {
    std::set<std::pair<std::string, std::string>> called;
    for (const PickleCall& call : walk.calls) {
      if (call.module.empty()) {
        Add(where, call.offset, Severity::kSuspicious, "computed-callable",
            fmt::format("{} calls a callable computed at load time, not a named global",
                        call.opcode));
        continue;
      }
      called.insert({call.module, call.name});
      const CallableClass c = ClassifyCallable(call.module, call.name);
      if (auto severity = SeverityOf(c, options_.policy)) {
        Add(where, call.offset, *severity,
            c == CallableClass::kDangerous ? "dangerous-call" : "unapproved-call",
            fmt::format("calls {}.{} ({})", call.module, call.name, call.opcode));
      }
    }
    for (const PickleGlobal& g : walk.globals) {
      if (called.count({g.module, g.name}) != 0) continue;
      const CallableClass c = ClassifyCallable(g.module, g.name);
      if (auto severity = SeverityOf(c, options_.policy)) {
        Add(where, g.offset, *severity,
            c == CallableClass::kDangerous ? "dangerous-global" : "unapproved-global",
            fmt::format("references {}.{} (importing it runs its module's code)", g.module,
                        g.name));
      }
    }
    for (const std::string& u : walk.unresolved) {
      Add(where, walk.end, Severity::kSuspicious, "unresolved-global", u);
    }
    if (walk.error) {
      Add(where, walk.error_offset, Severity::kSuspicious, "malformed-pickle", *walk.error);
    }
    for (const NestedPickle& nested : walk.nested) {
      Content(nested.bytes, fmt::format("{}@{}", where.empty() ? "pickle" : where, nested.offset),
              depth + 1);
    }
  }

  void Add(const std::string& where, uint64_t offset, Severity severity, std::string rule,
           std::string detail) {
    report_.findings.push_back(
        {path_, where, offset, severity, std::move(rule), std::move(detail)});
  }

  const std::string& path_;
  const ScanOptions& options_;
  FileReport& report_;
  uint64_t inflated_ = 0;  // bytes inflated so far, all entries and streams together
  bool budget_exceeded_ = false;
};

std::string FormatOf(std::string_view data) {
  if (LooksLikeZip(data)) {
    Result<std::vector<ZipEntry>> entries = ReadZipDirectory(data);
    if (entries.ok()) {
      bool code = false, pickle = false;
      for (const ZipEntry& e : *entries) {
        code |= e.name.find("/code/") != std::string::npos;
        pickle |= e.name.ends_with("data.pkl");
      }
      if (code && pickle) return "zip (torchscript)";
      if (pickle) return "zip (pytorch)";
      if (IsKerasArchive(*entries)) return "zip (keras)";
      bool npy = !entries->empty();
      for (const ZipEntry& e : *entries) npy &= e.name.ends_with(".npy");
      if (npy) return "zip (npz)";
    }
    return "zip";
  }
  if (LooksLikeNpy(data)) return "npy";
  if (LooksLikeSafetensors(data)) return "safetensors";
  if (LooksLikeGguf(data)) return "gguf";
  if (LooksLikeHdf5(data)) {
    for (const Hdf5Attribute& a : ReadHdf5RootAttributes(data).attributes) {
      if (a.name == "model_config") return "hdf5 (keras)";
    }
    return "hdf5";
  }
  if (LooksLikeBinaryPickle(data) || WalksAsPickle(data)) return "pickle";
  if (LooksLikeOnnx(data)) return "onnx";
  if (std::string_view kind = JsonConfigKind(data); !kind.empty()) {
    return fmt::format("json ({})", kind);
  }
  if (LooksLikeDeflate(data)) {
    bool too_big = false;
    if (Inflate(data, uint64_t{1} << 20, too_big) || too_big) return "compressed";
  }
  if (!OtherCompression(data).empty()) return "compressed";
  return "unknown";
}

}  // namespace

FileReport ScanBytes(std::string_view data, const std::string& path, const ScanOptions& options) {
  FileReport report;
  report.path = path;
  report.format = FormatOf(data);
  if (report.format != "unknown") Scan(path, options, report).Content(data, "", 0);
  return report;
}

Result<FileReport> ScanFile(const std::filesystem::path& path, const ScanOptions& options) {
  ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  return ScanBytes(file.bytes(), path.string(), options);
}

}  // namespace citadel::scan
