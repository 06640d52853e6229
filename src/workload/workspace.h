// A Citadel workspace on disk (ARCHITECTURE.md §5): config, catalog, blob
// store and per-run directories under one root ($CITADEL_HOME, default
// ./.citadel).
//
// Not thread-safe (it owns one catalog connection); one per thread.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "base/status.h"
#include "catalog/catalog.h"
#include "crypto/signing_key.h"
#include "store/blob_store.h"

namespace citadel::workload {

class Workspace {
 public:
  // The root named by $CITADEL_HOME, else ./.citadel.
  static std::filesystem::path DefaultRoot();

  // Creates the layout (idempotent: an existing workspace is left as is and
  // reported through `created`).
  static Result<std::unique_ptr<Workspace>> Init(const std::filesystem::path& root,
                                                 bool* created = nullptr);
  // FailedPrecondition, with the `citadel init` hint, when root is not a workspace.
  static Result<std::unique_ptr<Workspace>> Open(const std::filesystem::path& root);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path RunDir(const std::string& run_id) const { return root_ / "runs" / run_id; }
  catalog::Catalog& catalog() { return *catalog_; }

  // The workspace's secret for keyed hashing of PII (keys/pii-hmac.key, 32
  // random bytes, mode 0600), created on first use. Safe against concurrent
  // first use by several processes: exactly one key ever wins. Errors:
  // DataLoss when the file exists with another size (restore it from backup:
  // hashed columns of existing datasets depend on it).
  Result<std::string> PiiHmacKey() const;

  // The workspace's signing key (keys/signing-key.pem, mode 0600; its public
  // half in keys/signing-key.pub.pem): it signs every run's provenance
  // attestation, and artifacts when `citadel sign` is given no other key.
  // Created by `citadel init` (ECDSA P-256), or on first use in a workspace
  // made before keys existed; safe against concurrent first use like the
  // PII key. `citadel keys generate --force` replaces it.
  Result<crypto::PrivateKey> SigningKey() const;
  std::filesystem::path SigningKeyPath() const { return root_ / "keys" / kSigningKeyFile; }
  std::filesystem::path PublicKeyPath() const { return root_ / "keys" / kPublicKeyFile; }
  static constexpr const char* kSigningKeyFile = "signing-key.pem";
  static constexpr const char* kPublicKeyFile = "signing-key.pub.pem";
  const store::BlobStore& blobs() const { return *blobs_; }

 private:
  Workspace() = default;
  std::filesystem::path root_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<store::BlobStore> blobs_;
};

}  // namespace citadel::workload
