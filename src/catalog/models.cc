// Catalog: the model registry (names → versions → artifacts, and aliases).
#include <fmt/format.h>

#include "base/time.h"
#include "catalog/catalog.h"

namespace citadel::catalog {

namespace {
bool IsValidName(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  }
  return true;
}
}  // namespace

Result<ModelVersion> Catalog::RegisterModelVersion(const std::string& name,
                                                   const std::string& artifact_id,
                                                   const std::optional<std::string>& run_id) {
  if (!IsValidName(name)) {
    return InvalidArgumentError(fmt::format(
        "model name '{}' is invalid: use letters, digits, '-', '_' or '.' (at most 128)", name));
  }
  ASSIGN_OR_RETURN(auto artifact, GetArtifact(artifact_id));
  if (artifact.kind != "model") {
    return InvalidArgumentError(
        fmt::format("artifact {} is a {}, not a model", artifact_id, artifact.kind));
  }
  Status s = db_->Transaction([&]() -> Status {
    ASSIGN_OR_RETURN(
        auto model, db_->Prepare("INSERT OR IGNORE INTO model (name, created_at) VALUES (?1, ?2)"));
    model.Bind(1, name).Bind(2, NowIso8601());
    RETURN_IF_ERROR(model.Run());
    ASSIGN_OR_RETURN(auto version, db_->Prepare("INSERT OR IGNORE INTO model_version (model_name, "
                                                "version, artifact_id, created_by_run, created_at) "
                                                "SELECT ?1, COALESCE(MAX(version), 0) + 1, ?2, ?3, "
                                                "?4 FROM model_version WHERE model_name = ?1"));
    version.Bind(1, name).Bind(2, artifact_id).BindOptional(3, run_id).Bind(4, NowIso8601());
    return version.Run();
  });
  RETURN_IF_ERROR(s);
  ASSIGN_OR_RETURN(auto versions, ListModelVersions(name));
  for (auto& v : versions) {
    if (v.artifact_id == artifact_id) return v;
  }
  return InternalError(fmt::format("model {} lost its version for {}", name, artifact_id));
}

Status Catalog::SetAlias(const std::string& name, const std::string& alias, int64_t version) {
  if (!IsValidName(alias) || std::all_of(alias.begin(), alias.end(), ::isdigit)) {
    return InvalidArgumentError(fmt::format(
        "alias '{}' is invalid: use letters, digits, '-', '_' or '.', not only digits", alias));
  }
  RETURN_IF_ERROR(ResolveModel(name, version, ""));
  ASSIGN_OR_RETURN(auto q, db_->Prepare("INSERT INTO model_alias (model_name, alias, version, "
                                        "updated_at) VALUES (?1, ?2, ?3, ?4) "
                                        "ON CONFLICT (model_name, alias) DO UPDATE SET version = "
                                        "excluded.version, updated_at = excluded.updated_at"));
  q.Bind(1, name).Bind(2, alias).Bind(3, version).Bind(4, NowIso8601());
  return q.Run();
}

Result<std::vector<ModelVersion>> Catalog::ListModelVersions(const std::string& name) {
  ASSIGN_OR_RETURN(
      auto q,
      db_->Prepare(
          "SELECT v.model_name, v.version, v.artifact_id, v.created_by_run, v.created_at, "
          "  (SELECT group_concat(alias, ',') FROM (SELECT alias FROM model_alias a "
          "     WHERE a.model_name = v.model_name AND a.version = v.version ORDER BY alias)) "
          "FROM model_version v WHERE ?1 = '' OR v.model_name = ?1 ORDER BY v.model_name, "
          "v.version"));
  q.Bind(1, name);
  return CollectRows(q, [](const SqliteStatement& row) {
    ModelVersion v{row.ColumnText(0),         row.ColumnInt(1),  row.ColumnText(2),
                   row.ColumnOptionalText(3), row.ColumnText(4), {}};
    // Aliases are validated names without commas, so the list splits cleanly.
    std::string aliases = row.ColumnText(5);
    for (size_t start = 0; !aliases.empty();) {
      size_t comma = aliases.find(',', start);
      v.aliases.push_back(
          aliases.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return v;
  });
}

Result<ModelVersion> Catalog::ResolveModel(const std::string& name, int64_t version,
                                           const std::string& alias) {
  ASSIGN_OR_RETURN(auto versions, ListModelVersions(name));
  if (versions.empty())
    return NotFoundError(fmt::format("no model named '{}' (see `citadel models ls`)", name));
  if (!alias.empty()) {
    for (auto& v : versions) {
      if (std::find(v.aliases.begin(), v.aliases.end(), alias) != v.aliases.end()) return v;
    }
    return NotFoundError(fmt::format("model '{}' has no alias '{}'", name, alias));
  }
  if (version == 0) return versions.back();
  for (auto& v : versions) {
    if (v.version == version) return v;
  }
  return NotFoundError(fmt::format("model '{}' has no version {} (latest is {})", name, version,
                                   versions.back().version));
}

}  // namespace citadel::catalog
