#include "workload/workspace.h"

#include <fmt/format.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "base/system/files.h"
#include "base/text/yaml.h"

namespace citadel::workload {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kDefaultConfig =
    "# Citadel workspace configuration (ARCHITECTURE.md §5).\n"
    "format: citadel.workspace/v1\n"
    "store: blobs          # content-addressed blob store, relative to this directory\n"
    "catalog: catalog.db   # SQLite catalog (WAL)\n";

}  // namespace

fs::path Workspace::DefaultRoot() {
  const char* home = std::getenv("CITADEL_HOME");
  if (home != nullptr && home[0] != '\0') return fs::path(home);
  return fs::current_path() / ".citadel";
}

Result<std::unique_ptr<Workspace>> Workspace::Init(const fs::path& root, bool* created) {
  bool exists = fs::exists(root / "config.yaml");
  if (created != nullptr) *created = !exists;
  if (!exists) {
    RETURN_IF_ERROR(CreateDirectories(root));
    for (const char* dir : {"blobs", "runs", "keys"})
      RETURN_IF_ERROR(CreateDirectories(root / dir));
    // Signing keys will live here: owner-only from the start.
    if (::chmod((root / "keys").c_str(), 0700) != 0)
      return ErrnoError("chmod", (root / "keys").string(), errno);
    RETURN_IF_ERROR(WriteFileAtomic(root / "config.yaml", kDefaultConfig));
  }
  return Open(root);
}

Result<std::unique_ptr<Workspace>> Workspace::Open(const fs::path& root) {
  fs::path config_path = root / "config.yaml";
  if (!fs::exists(config_path)) {
    return FailedPreconditionError(fmt::format(
        "{} is not a Citadel workspace (no config.yaml); create one with `citadel init` or point "
        "CITADEL_HOME at an existing workspace",
        root.string()));
  }
  auto ws = std::unique_ptr<Workspace>(new Workspace());
  ws->root_ = fs::absolute(root).lexically_normal();
  ASSIGN_OR_RETURN(YamlDocument config, LoadYamlFile(config_path));
  if (!config.root.is_object() || config.root.value("format", "") != "citadel.workspace/v1") {
    return FailedPreconditionError(
        fmt::format("{}: not a citadel.workspace/v1 configuration", config_path.string()));
  }
  fs::path store = ws->root_ / config.root.value("store", "blobs");
  fs::path catalog = ws->root_ / config.root.value("catalog", "catalog.db");
  ASSIGN_OR_RETURN(auto blobs, store::BlobStore::Open(store));
  ws->blobs_ = std::make_unique<store::BlobStore>(std::move(blobs));
  ASSIGN_OR_RETURN(ws->catalog_, catalog::Catalog::Open(catalog));
  RETURN_IF_ERROR(CreateDirectories(ws->root_ / "runs"));
  return ws;
}

Result<std::string> Workspace::PiiHmacKey() const {
  constexpr size_t kKeyBytes = 32;
  const fs::path path = root_ / "keys" / "pii-hmac.key";
  if (!fs::exists(path)) {
    std::string key(kKeyBytes, '\0');
    if (::getrandom(key.data(), key.size(), 0) != static_cast<ssize_t>(key.size())) {
      return ErrnoError("getrandom", "pii-hmac.key", errno);
    }
    RETURN_IF_ERROR(CreateDirectories(root_ / "keys"));
    fs::path temp = path;
    temp += fmt::format(".tmp-{}", ::getpid());
    RETURN_IF_ERROR(WriteFileAtomic(temp, key, 0600));
    // link() never replaces: when another process created the key first,
    // theirs stays and is read below.
    int rc = ::link(temp.c_str(), path.c_str());
    int err = errno;
    ::unlink(temp.c_str());
    if (rc != 0 && err != EEXIST) return ErrnoError("link", path.string(), err);
    RETURN_IF_ERROR(FsyncDirectory(root_ / "keys"));
  }
  ASSIGN_OR_RETURN(std::string key, ReadFile(path));
  if (key.size() != kKeyBytes) {
    return DataLossError(fmt::format(
        "{} holds {} bytes, expected {}; restore it from a backup (datasets with hashed PII "
        "columns depend on it) or, if none was ever hashed, delete it to create a new one",
        path.string(), key.size(), kKeyBytes));
  }
  return key;
}

}  // namespace citadel::workload
