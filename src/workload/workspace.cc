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

// Writes `content` to `path` (mode 0600) unless the file exists. link()
// never replaces: when another process created the file first, theirs
// stays. Returns whether this call created it.
Result<bool> CreateKeyFileOnce(const fs::path& path, std::string_view content) {
  RETURN_IF_ERROR(CreateDirectories(path.parent_path()));
  fs::path temp = path;
  temp += fmt::format(".tmp-{}", ::getpid());
  RETURN_IF_ERROR(WriteFileAtomic(temp, content, 0600));
  int rc = ::link(temp.c_str(), path.c_str());
  int err = errno;
  ::unlink(temp.c_str());
  if (rc != 0 && err != EEXIST) return ErrnoError("link", path.string(), err);
  RETURN_IF_ERROR(FsyncDirectory(path.parent_path()));
  return rc == 0;
}

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
  ASSIGN_OR_RETURN(auto ws, Open(root));
  // The key every run's attestation is signed with: made now, so that
  // `citadel keys` and `citadel sign` find it from the start.
  if (!exists) RETURN_IF_ERROR(ws->SigningKey().status());
  return ws;
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
    RETURN_IF_ERROR(CreateKeyFileOnce(path, key).status());
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

Result<crypto::PrivateKey> Workspace::SigningKey() const {
  const fs::path path = SigningKeyPath();
  if (!fs::exists(path)) {
    ASSIGN_OR_RETURN(crypto::PrivateKey fresh,
                     crypto::PrivateKey::Generate(crypto::KeyAlgorithm::kEcdsaP256));
    ASSIGN_OR_RETURN(bool created, CreateKeyFileOnce(path, fresh.ToPem()));
    if (created) RETURN_IF_ERROR(WriteFileAtomic(PublicKeyPath(), fresh.Public().ToPem(), 0644));
  }
  ASSIGN_OR_RETURN(std::string pem, ReadFile(path));
  Result<crypto::PrivateKey> key = crypto::PrivateKey::FromPem(pem, path.string());
  if (!key.ok()) {
    return DataLossError(fmt::format(
        "the workspace signing key {} cannot be read ({}): restore it from a backup, or replace "
        "it with `citadel keys generate --force` (what it signed will then verify only with the "
        "old public key)",
        path.string(), key.status().message()));
  }
  return key;
}

}  // namespace citadel::workload
