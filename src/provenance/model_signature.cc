#include "provenance/model_signature.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "base/system/mapped_file.h"
#include "base/system/thread_pool.h"
#include "base/text/base64.h"
#include "crypto/sha256.h"

namespace citadel::provenance {
namespace {

namespace fs = std::filesystem;

bool Ignored(const std::string& relative, const std::vector<std::string>& ignore) {
  for (const std::string& prefix : ignore) {
    if (relative == prefix || (relative.size() > prefix.size() && relative.starts_with(prefix) &&
                               relative[prefix.size()] == '/')) {
      return true;
    }
  }
  return false;
}

// Ignore paths as resource names: "logs/", "./logs" and "logs" are one
// path; one that is absolute or leaves the model could never match and is
// refused rather than silently ignored.
Result<std::vector<std::string>> NormalizedIgnorePaths(const Serialization& serialization) {
  std::vector<std::string> out;
  for (const std::string& raw : serialization.ignore_paths) {
    const fs::path p = fs::path(raw).lexically_normal();
    std::string s = p.generic_string();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    if (p.is_absolute() || s.empty() || s == "." || s == ".." || s.starts_with("../")) {
      return InvalidArgumentError(
          fmt::format("ignore path '{}' must be a path inside the model, relative to it", raw));
    }
    out.push_back(std::move(s));
  }
  return out;
}

// The files of the model by resource name (see the header for the rules).
Result<std::map<std::string, fs::path>> ModelFiles(const fs::path& model,
                                                   const std::vector<std::string>& ignore,
                                                   const fs::path& signature) {
  std::map<std::string, fs::path> files;
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(model, ec);
  if (ec || !fs::exists(status)) {
    return NotFoundError(fmt::format("{}: no such model file or directory", model.string()));
  }
  if (fs::is_regular_file(status)) {
    files.emplace(".", model);
    return files;
  }
  if (!fs::is_directory(status)) {
    return InvalidArgumentError(fmt::format("{}: not a file or a directory", model.string()));
  }
  const fs::path signature_abs = fs::absolute(signature).lexically_normal();
  for (auto it = fs::recursive_directory_iterator(model, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string relative = it->path().lexically_relative(model).generic_string();
    if (Ignored(relative, ignore)) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink()) {
      return InvalidArgumentError(fmt::format(
          "{}: '{}' is a symbolic link; OMS signatures do not follow links (allow_symlinks is "
          "false): replace it with the file or add it to the ignored paths",
          model.string(), relative));
    }
    if (!it->is_regular_file()) continue;
    if (fs::absolute(it->path()).lexically_normal() == signature_abs) continue;
    files.emplace(relative, it->path());
  }
  if (ec) return UnavailableError(fmt::format("{}: {}", model.string(), ec.message()));
  return files;
}

std::string SubjectDigest(const std::vector<ModelResource>& resources) {
  crypto::Sha256 hash;
  for (const ModelResource& r : resources) {
    Result<crypto::Sha256Digest> d = crypto::Sha256Digest::FromHex(r.sha256);
    if (d.ok()) hash.Update(d->bytes.data(), d->bytes.size());
  }
  return hash.Finish().Hex();
}

// The resource's file, for messages: "path" of "path:start:end".
std::string FileOf(const std::string& name, const std::string& method) {
  if (method != "shards") return name;
  const size_t b = name.rfind(':');
  const size_t a = b == std::string::npos ? b : name.rfind(':', b - 1);
  return a == std::string::npos ? name : name.substr(0, a);
}

}  // namespace

Result<std::vector<ModelResource>> HashModel(const fs::path& model,
                                             const Serialization& serialization,
                                             const fs::path& signature) {
  ASSIGN_OR_RETURN(std::vector<std::string> ignore, NormalizedIgnorePaths(serialization));
  ASSIGN_OR_RETURN(auto files, ModelFiles(model, ignore, signature));
  struct Task {
    std::string name;
    size_t file;
    uint64_t begin = 0, end = 0;
  };
  std::vector<std::pair<std::string, fs::path>> list(files.begin(), files.end());
  std::vector<MappedFile> mapped(list.size());
  std::vector<Task> tasks;
  for (size_t i = 0; i < list.size(); ++i) {
    ASSIGN_OR_RETURN(mapped[i], MappedFile::Open(list[i].second));
    const uint64_t size = mapped[i].bytes().size();
    if (serialization.method != "shards") {
      tasks.push_back({list[i].first, i, 0, size});
      continue;
    }
    const uint64_t step = std::max<uint64_t>(serialization.shard_size, 1);
    for (uint64_t begin = 0; begin < size || (begin == 0 && size == 0); begin += step) {
      const uint64_t end = std::min(size, begin + step);
      tasks.push_back({fmt::format("{}:{}:{}", list[i].first, begin, end), i, begin, end});
      if (size == 0) break;
    }
  }
  std::vector<ModelResource> out(tasks.size());
  SharedPool().ParallelFor(tasks.size(), [&](size_t t) {
    const Task& task = tasks[t];
    const std::string_view bytes =
        mapped[task.file].bytes().substr(task.begin, task.end - task.begin);
    out[t] = {task.name, crypto::Sha256::Of(bytes).Hex()};
  });
  std::sort(out.begin(), out.end(),
            [](const ModelResource& a, const ModelResource& b) { return a.name < b.name; });
  return out;
}

Result<Json> SignModel(const fs::path& model, const BundleSigner& signer,
                       const Serialization& serialization, const fs::path& signature) {
  ASSIGN_OR_RETURN(std::vector<ModelResource> resources,
                   HashModel(model, serialization, signature));
  Serialization recorded = serialization;
  const std::string signature_rel = fs::absolute(signature)
                                        .lexically_normal()
                                        .lexically_relative(fs::absolute(model).lexically_normal())
                                        .generic_string();
  if (!signature_rel.empty() && !signature_rel.starts_with("..")) {
    recorded.ignore_paths.push_back(signature_rel);
  }
  const std::string name = fs::absolute(model).lexically_normal().filename().string();
  return SignResources(std::move(resources), name.empty() ? "model" : name, signer, recorded);
}

Result<Json> SignResources(std::vector<ModelResource> resources, const std::string& subject_name,
                           const BundleSigner& signer, const Serialization& serialization) {
  std::sort(resources.begin(), resources.end(),
            [](const ModelResource& a, const ModelResource& b) { return a.name < b.name; });
  Json listed = Json::array();
  for (const ModelResource& r : resources) {
    listed.push_back({{"name", r.name}, {"algorithm", "sha256"}, {"digest", r.sha256}});
  }
  std::vector<std::string> ignore = serialization.ignore_paths;
  std::sort(ignore.begin(), ignore.end());
  Json ser = {{"method", serialization.method},
              {"hash_type", "sha256"},
              {"allow_symlinks", false},
              {"ignore_paths", ignore}};
  if (serialization.method == "shards") ser["shard_size"] = serialization.shard_size;
  Json statement = {
      {"_type", kStatementType},
      {"subject",
       Json::array({{{"name", subject_name}, {"digest", {{"sha256", SubjectDigest(resources)}}}}})},
      {"predicateType", kOmsPredicateType},
      {"predicate", {{"serialization", ser}, {"resources", listed}}}};
  return SignStatement(statement, signer);
}

namespace {

Result<SignedStatement> OpenBundleUnchecked(std::string_view bundle_text,
                                            const TrustAnchors& anchors) {
  ASSIGN_OR_RETURN(OpenedStatement opened, OpenSignedStatement(bundle_text, anchors));
  const Json& statement = opened.statement;
  if (statement.value("predicateType", "") != kOmsPredicateType) {
    return InvalidArgumentError(fmt::format(
        "bundle: the statement is not an in-toto Statement v1 with predicate {} (got {})",
        kOmsPredicateType, statement.value("predicateType", "none")));
  }
  const Json& predicate = statement.value("predicate", Json());
  const Json& ser = predicate.is_object() ? predicate.value("serialization", Json()) : Json();
  Serialization serialization;
  serialization.method = ser.value("method", "");
  if ((serialization.method != "files" && serialization.method != "shards") ||
      ser.value("hash_type", "") != "sha256") {
    return InvalidArgumentError(fmt::format(
        "bundle: serialization method '{}' with hash '{}' is not supported (files or shards, "
        "sha256)",
        serialization.method, ser.value("hash_type", "")));
  }
  serialization.shard_size = ser.value("shard_size", uint64_t{0});
  for (const Json& p : ser.value("ignore_paths", Json::array())) {
    if (p.is_string()) serialization.ignore_paths.push_back(p.get<std::string>());
  }
  std::vector<ModelResource> signed_resources;
  for (const Json& r : predicate.value("resources", Json::array())) {
    if (!r.is_object() || r.value("algorithm", "") != "sha256") {
      return InvalidArgumentError("bundle: a resource is malformed or not sha256");
    }
    signed_resources.push_back({r.value("name", ""), r.value("digest", "")});
  }
  const Json& subject = statement.value("subject", Json::array());
  if (!subject.is_array() || subject.size() != 1 ||
      subject[0].value("digest", Json()).value("sha256", "") != SubjectDigest(signed_resources)) {
    return InvalidArgumentError(
        "bundle: the subject digest is not the digest of the listed resources");
  }

  return SignedStatement{opened.signer, std::move(serialization), std::move(signed_resources)};
}

}  // namespace

Result<SignedStatement> OpenBundle(std::string_view bundle_text, const TrustAnchors& anchors) {
  // The bundle comes from outside: a field of an unexpected JSON type
  // anywhere in it is a malformed bundle, never an escaped exception.
  try {
    return OpenBundleUnchecked(bundle_text, anchors);
  } catch (const Json::exception& e) {
    return InvalidArgumentError(
        fmt::format("bundle: a field has the wrong JSON type ({})", e.what()));
  }
}

Status CompareResources(const SignedStatement& signed_statement,
                        const std::vector<ModelResource>& current, std::string_view model) {
  const std::string& method = signed_statement.serialization.method;
  std::map<std::string, std::string> now;
  for (const ModelResource& r : current) now[r.name] = r.sha256;
  std::map<std::string, std::string> was;
  for (const ModelResource& r : signed_statement.resources) was[r.name] = r.sha256;
  for (const auto& [name, digest] : was) {
    auto it = now.find(name);
    if (it == now.end()) {
      return DataLossError(
          fmt::format("{}: '{}' is signed but missing", model, FileOf(name, method)));
    }
    if (it->second != digest) {
      return DataLossError(
          fmt::format("{}: '{}' was modified after signing (sha256 {} now, {} signed)", model,
                      FileOf(name, method), it->second, digest));
    }
  }
  for (const auto& [name, digest] : now) {
    if (!was.count(name)) {
      return DataLossError(fmt::format(
          "{}: '{}' is not covered by the signature (added after signing); remove it or sign "
          "the model again",
          model, FileOf(name, method)));
    }
  }
  return Status::Ok();
}

Result<VerifiedModel> VerifyModel(const fs::path& model, std::string_view bundle_text,
                                  const TrustAnchors& anchors, const fs::path& signature) {
  ASSIGN_OR_RETURN(SignedStatement statement, OpenBundle(bundle_text, anchors));
  ASSIGN_OR_RETURN(std::vector<ModelResource> current,
                   HashModel(model, statement.serialization, signature));
  RETURN_IF_ERROR(CompareResources(statement, current, model.string()));
  return VerifiedModel{statement.signer, statement.resources.size()};
}

}  // namespace citadel::provenance
