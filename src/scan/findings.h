// What a scan reports: findings with a severity, where they are (file,
// archive entry, byte offset) and the rule that raised them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace citadel::scan {

enum class Severity {
  kSuspicious,  // cannot be shown safe: an unknown callable, an entry that cannot be read
  kDangerous,   // runs code, touches the OS, the network or files, or loads more pickles
};

std::string_view SeverityName(Severity severity);

// Which callables a pickle may reference.
//   default  a denylist of dangerous callables (dangerous); anything else not
//            known to be a plain data or tensor rebuild callable is suspicious
//   strict   only the known tensor / array rebuild callables and containers;
//            anything else is dangerous
enum class ScanPolicy { kDefault, kStrict };

struct Finding {
  std::string path;     // the file scanned
  std::string entry;    // inside an archive: the entry ("archive/data.pkl"); else empty
  uint64_t offset = 0;  // byte offset in the pickle (or the entry) it concerns
  Severity severity = Severity::kSuspicious;
  std::string rule;    // "dangerous-call", "dangerous-global", "unknown-global", …
  std::string detail;  // what was found, for a person
};

}  // namespace citadel::scan
