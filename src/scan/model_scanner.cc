#include "scan/model_scanner.h"

#include <fmt/format.h>

#include <set>
#include <utility>

#include "base/system/mapped_file.h"
#include "scan/callable_policy.h"
#include "scan/pickle_machine.h"
#include "scan/tensor_files.h"
#include "scan/zip_archive.h"

namespace citadel::scan {
namespace {

// A whole byte string that walks as one or more pickles of protocol 0 or 1
// (no PROTO opcode to recognise them by).
bool WalksAsPickle(std::string_view data) {
  if (data.empty()) return false;
  const PickleWalk walk = WalkPickle(data);
  return walk.complete && !walk.error && walk.opcodes >= 2;
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
    } else if (LooksLikeBinaryPickle(data) || WalksAsPickle(data)) {
      Pickles(data, where, depth);
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
    Result<std::vector<ZipEntry>> entries = ReadZipDirectory(data);
    if (!entries.ok()) {
      Add(where, 0, Severity::kSuspicious, "malformed-archive",
          fmt::format("the ZIP archive cannot be read: {}", entries.status().message()));
      return;
    }
    for (const ZipEntry& e : *entries) {
      const std::string entry = where.empty() ? e.name : where + "!" + e.name;
      Result<ZipEntryData> content = ReadZipEntry(data, e, options_.max_entry_bytes);
      if (!content.ok()) {
        Add(entry, 0, Severity::kSuspicious, e.encrypted() ? "encrypted-entry" : "unreadable-entry",
            fmt::format("the entry cannot be inspected: {}", content.status().message()));
        continue;
      }
      if (content->local_name != e.name) {
        Add(entry, 0, Severity::kSuspicious, "misleading-entry-name",
            fmt::format("the local header names it '{}'", content->local_name));
      }
      if (!content->crc_matches) {
        Add(entry, 0, Severity::kSuspicious, "crc-mismatch",
            "its CRC-32 does not match the directory's: the archive was altered");
      }
      Content(content->bytes, entry, depth + 1);
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
      // Legacy torch.save files end with raw storage bytes after their pickles.
      if (!LooksLikeBinaryPickle(rest) && !WalksAsPickleAt(data, at)) return;
    }
  }

 private:
  static bool WalksAsPickleAt(std::string_view data, uint64_t at) {
    const PickleWalk walk = WalkPickle(data, at);
    return walk.complete && !walk.error && walk.opcodes >= 2;
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
      bool npy = !entries->empty();
      for (const ZipEntry& e : *entries) npy &= e.name.ends_with(".npy");
      if (npy) return "zip (npz)";
    }
    return "zip";
  }
  if (LooksLikeNpy(data)) return "npy";
  if (LooksLikeSafetensors(data)) return "safetensors";
  if (LooksLikeBinaryPickle(data) || WalksAsPickle(data)) return "pickle";
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
