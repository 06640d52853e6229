#include "workload/ref_resolver.h"

#include <fmt/format.h>

#include <charconv>

namespace citadel::workload {

namespace {

bool IsHex(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

bool LooksLikeRunId(std::string_view s) {
  return s.size() >= 8 && s.find_first_not_of("0123456789abcdef-") == std::string_view::npos;
}

Result<std::string> ByIdPrefix(catalog::Catalog& catalog, std::string_view ref,
                               std::string_view hex) {
  ASSIGN_OR_RETURN(auto ids, catalog.ArtifactIdsWithPrefix(std::string(hex), 2));
  if (ids.empty())
    return NotFoundError(fmt::format("no artifact matches '{}' (see `citadel artifacts ls`)", ref));
  if (ids.size() > 1) {
    return InvalidArgumentError(fmt::format(
        "'{}' matches several artifacts ({}, {}, …); give more of the id", ref, ids[0], ids[1]));
  }
  return ids[0];
}

Result<std::string> ByRunOutput(catalog::Catalog& catalog, std::string_view run,
                                std::string_view role) {
  ASSIGN_OR_RETURN(std::string run_id, catalog.ResolveRunId(std::string(run)));
  ASSIGN_OR_RETURN(auto outputs, catalog.RunOutputs(run_id));
  std::string roles;
  for (const auto& o : outputs) {
    if (o.role == role) return o.artifact_id;
    roles += (roles.empty() ? "" : ", ") + o.role;
  }
  return NotFoundError(fmt::format("run {} has no output '{}' (its outputs: {})", run_id, role,
                                   roles.empty() ? "none" : roles));
}

}  // namespace

Result<std::string> ResolveArtifactRef(catalog::Catalog& catalog, std::string_view ref) {
  if (ref.empty()) return InvalidArgumentError("empty artifact reference");
  // "model:NAME[@ALIAS|:VERSION]" names the registry explicitly (ARCHITECTURE §6).
  if (ref.rfind("model:", 0) == 0) {
    std::string_view rest = ref.substr(6);
    size_t at = rest.find('@');
    size_t colon = rest.find(':');
    std::string name(rest.substr(0, std::min(at, colon)));
    int64_t version = 0;
    if (colon != std::string_view::npos && at == std::string_view::npos) {
      std::string_view v = rest.substr(colon + 1);
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
      if (ec != std::errc() || ptr != v.data() + v.size() || version <= 0) {
        return InvalidArgumentError(
            fmt::format("'{}': the version must be a positive number", ref));
      }
    }
    ASSIGN_OR_RETURN(
        auto v,
        catalog.ResolveModel(name, version,
                             at == std::string_view::npos ? "" : std::string(rest.substr(at + 1))));
    return v.artifact_id;
  }
  if (ref.rfind("sha256:", 0) == 0) {
    std::string_view hex = ref.substr(7);
    if (!IsHex(hex))
      return InvalidArgumentError(
          fmt::format("'{}' is not a sha256 id (lowercase hex expected)", ref));
    return ByIdPrefix(catalog, ref, hex);
  }
  if (size_t at = ref.find('@'); at != std::string_view::npos) {
    ASSIGN_OR_RETURN(auto v, catalog.ResolveModel(std::string(ref.substr(0, at)), 0,
                                                  std::string(ref.substr(at + 1))));
    return v.artifact_id;
  }
  if (size_t colon = ref.rfind(':'); colon != std::string_view::npos) {
    std::string_view left = ref.substr(0, colon);
    std::string_view right = ref.substr(colon + 1);
    int64_t version = 0;
    auto [ptr, ec] = std::from_chars(right.data(), right.data() + right.size(), version);
    bool numeric = ec == std::errc() && ptr == right.data() + right.size() && version > 0;
    if (numeric && !LooksLikeRunId(left)) {
      ASSIGN_OR_RETURN(auto v, catalog.ResolveModel(std::string(left), version, ""));
      return v.artifact_id;
    }
    if (LooksLikeRunId(left)) return ByRunOutput(catalog, left, right);
    return InvalidArgumentError(fmt::format(
        "'{}' is neither MODEL:VERSION (a positive version number) nor RUN_ID:ROLE", ref));
  }
  // A registered model name wins, then an artifact name, then an id prefix.
  auto model = catalog.ResolveModel(std::string(ref), 0, "");
  if (model.ok()) return model->artifact_id;
  ASSIGN_OR_RETURN(auto named, catalog.LatestArtifactNamed(std::string(ref)));
  if (named) return *named;
  if (IsHex(ref) && ref.size() >= 6) return ByIdPrefix(catalog, ref, ref);
  return NotFoundError(fmt::format(
      "'{}' matches no model name, artifact name or artifact id (see `citadel models ls` and "
      "`citadel artifacts ls`)",
      ref));
}

}  // namespace citadel::workload
