#include "store/manifest.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/text/json.h"

namespace citadel::store {

bool IsSafeRelativePath(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') return false;
  if (path.find('\0') != std::string_view::npos || path.find('\\') != std::string_view::npos)
    return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string_view part = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

Result<Manifest> Manifest::FromEntries(std::vector<ManifestEntry> entries) {
  std::sort(entries.begin(), entries.end(),
            [](const ManifestEntry& a, const ManifestEntry& b) { return a.path < b.path; });
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!IsSafeRelativePath(entries[i].path)) {
      return InvalidArgumentError(
          fmt::format("manifest path '{}' is not a safe relative path", entries[i].path));
    }
    if (i > 0 && entries[i].path == entries[i - 1].path) {
      return InvalidArgumentError(fmt::format("manifest lists '{}' twice", entries[i].path));
    }
  }
  Manifest m;
  m.files_ = std::move(entries);
  return m;
}

Result<Manifest> Manifest::Parse(std::string_view text, std::string_view source) {
  ASSIGN_OR_RETURN(Json json, ParseJson(text, source));
  if (!json.is_object() || !json.contains("files") || !json["files"].is_array()) {
    return InvalidArgumentError(fmt::format("{}: manifest has no 'files' list", source));
  }
  std::vector<ManifestEntry> entries;
  for (const Json& f : json["files"]) {
    if (!f.is_object() || !f.contains("path") || !f["path"].is_string() || !f.contains("sha256") ||
        !f["sha256"].is_string() || !f.contains("size") || !f["size"].is_number_unsigned()) {
      return InvalidArgumentError(
          fmt::format("{}: manifest entry {} lacks path, sha256 or size", source, f.dump()));
    }
    ASSIGN_OR_RETURN(auto digest, crypto::Sha256Digest::FromHex(f["sha256"].get<std::string>()));
    entries.push_back({f["path"].get<std::string>(), digest, f["size"].get<uint64_t>()});
  }
  auto manifest = FromEntries(std::move(entries));
  if (!manifest.ok()) return manifest.status().WithContext(std::string(source));
  return manifest;
}

std::string Manifest::Canonical() const {
  Json files = Json::array();
  for (const auto& f : files_) {
    files.push_back({{"path", f.path}, {"sha256", f.digest.Hex()}, {"size", f.size}});
  }
  return CanonicalJson(Json{{"files", std::move(files)}, {"manifest_version", 1}});
}

uint64_t Manifest::TotalSize() const {
  uint64_t total = 0;
  for (const auto& f : files_) total += f.size;
  return total;
}

const ManifestEntry* Manifest::Find(std::string_view path) const {
  auto it = std::lower_bound(files_.begin(), files_.end(), path,
                             [](const ManifestEntry& e, std::string_view p) { return e.path < p; });
  return it != files_.end() && it->path == path ? &*it : nullptr;
}

}  // namespace citadel::store
