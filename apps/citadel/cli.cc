#include "cli.h"

#include <fmt/format.h>

#include <cstdio>

namespace citadel::cli {

int ExitCodeFor(const Status& status) { return status.ok() ? kExitOk : kExitFailure; }

void PrintError(const Status& status) {
  fmt::print(stderr, "citadel: error: {}\n", status.ToString());
}

Result<std::unique_ptr<workload::Workspace>> OpenWorkspace(const Globals& globals) {
  std::filesystem::path root = globals.home.empty() ? workload::Workspace::DefaultRoot()
                                                    : std::filesystem::path(globals.home);
  return workload::Workspace::Open(root);
}

void PrintJson(const Json& value) { std::fputs(PrettyJson(value).c_str(), stdout); }

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      // Count code points, not bytes, so "→" and "—" align.
      size_t n = 0;
      for (unsigned char c : row[i]) n += (c & 0xc0) != 0x80;
      widths[i] = std::max(widths[i], n);
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) {
        size_t n = 0;
        for (unsigned char c : row[i]) n += (c & 0xc0) != 0x80;
        line += std::string(widths[i] - n + 2, ' ');
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string ShortId(const std::string& id) { return id.size() > 19 ? id.substr(0, 19) : id; }

std::string HumanBytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

}  // namespace citadel::cli
