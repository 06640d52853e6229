#include "base/system/host_info.h"

#include <link.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace citadel {

std::string Hostname() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        size_t start = line.find_first_not_of(' ', colon + 1);
        return start == std::string::npos ? "unknown" : line.substr(start);
      }
    }
  }
  return "unknown";
}

namespace {
struct LibrarySearch {
  std::string_view needle;
  std::string found;
};

int VisitObject(struct dl_phdr_info* info, size_t, void* data) {
  auto* search = static_cast<LibrarySearch*>(data);
  if (info->dlpi_name == nullptr || info->dlpi_name[0] == '\0') return 0;
  std::string_view name(info->dlpi_name);
  std::string_view file = name.substr(name.rfind('/') + 1);
  if (file.find(search->needle) == std::string_view::npos) return 0;
  std::error_code ec;
  std::filesystem::path real = std::filesystem::canonical(std::string(name), ec);
  search->found = ec ? std::string(name) : real.string();
  return 1;  // stop iterating
}
}  // namespace

std::string LoadedLibrary(std::string_view needle) {
  LibrarySearch search{needle, {}};
  dl_iterate_phdr(VisitObject, &search);
  return search.found;
}

}  // namespace citadel
