// OpenSSF Model Signing (OMS) v1.0 signatures: a Sigstore bundle v0.3 whose
// DSSE envelope carries an in-toto Statement v1 with the predicate
// https://model_signing/signature/v1.0. The predicate lists every file of
// the model ("resources", sorted by name, each with its SHA-256; or, in
// shard mode, each `shard_size` piece of each file as "path:start:end"),
// and the subject's digest is the SHA-256 of those digests' bytes
// concatenated in that order. A model is a directory (resource names are
// '/'-separated relative paths) or a single file (one resource, ".").
//
// Files matched by `ignore_paths` (a path or a directory prefix, relative
// to the model) are left out, and so is the signature file itself; symlinks
// are refused. Hashing runs on every core: files, and shards of large
// files, in parallel.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "crypto/signing_key.h"
#include "provenance/signed_statement.h"

namespace citadel::provenance {

inline constexpr std::string_view kOmsPredicateType = "https://model_signing/signature/v1.0";
inline constexpr std::string_view kDefaultSignatureName = "model.sig";

struct ModelResource {
  std::string name;    // relative path, "path:start:end" for a shard, "." for a single file
  std::string sha256;  // hex
};

struct Serialization {
  std::string method = "files";  // "files" | "shards"
  uint64_t shard_size = 0;       // shards only
  std::vector<std::string> ignore_paths;
};

// The resources of `model` (a directory or a file), sorted by name.
// `signature` (absolute) is never among them.
Result<std::vector<ModelResource>> HashModel(const std::filesystem::path& model,
                                             const Serialization& serialization,
                                             const std::filesystem::path& signature);

// The bundle (JSON) signing `model` by `signer`: a key is named by hint
// (the SHA-256 of its PEM), a certificate chain is carried in the bundle,
// as model_signing writes them.
Result<Json> SignModel(const std::filesystem::path& model, const BundleSigner& signer,
                       const Serialization& serialization, const std::filesystem::path& signature);

// The same over an explicit, already hashed list of resources (an
// artifact's manifest: its files and their digests); `subject_name` names
// the model in the statement.
Result<Json> SignResources(std::vector<ModelResource> resources, const std::string& subject_name,
                           const BundleSigner& signer, const Serialization& serialization);

struct VerifiedModel {
  std::string signer;  // "key sha256:HINT" or "certificate NAMES, issued by CA"
  size_t resources = 0;
};

// What a bundle signs, once its signature and statement are checked.
struct SignedStatement {
  std::string signer;  // as VerifiedModel::signer
  Serialization serialization;
  std::vector<ModelResource> resources;
};

// Checks `bundle_text`'s signature against the anchors and its statement
// (types, serialization, subject digest) — not the files.
Result<SignedStatement> OpenBundle(std::string_view bundle_text, const TrustAnchors& anchors);

// DataLoss naming the first resource of `current` that was modified, added
// or removed since `signed_statement`; `model` names the model in it.
Status CompareResources(const SignedStatement& signed_statement,
                        const std::vector<ModelResource>& current, std::string_view model);

// Verifies `bundle_text` (the signature file's content) for `model`: the
// envelope's signature against the anchors, the statement's types, then
// every resource against the files as they are now. The first failure is
// returned: InvalidArgument for a malformed bundle, PermissionDenied for a
// signature that does not verify, DataLoss naming the file that was
// modified, added or removed.
Result<VerifiedModel> VerifyModel(const std::filesystem::path& model, std::string_view bundle_text,
                                  const TrustAnchors& anchors,
                                  const std::filesystem::path& signature);

}  // namespace citadel::provenance
