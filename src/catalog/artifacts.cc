// Catalog: artifact records and their files.
#include <fmt/format.h>

#include "base/time.h"
#include "catalog/catalog.h"
#include "catalog/internal/rows.h"

namespace citadel::catalog {

using internal::ArtifactFromRow;
using internal::kArtifactColumns;

Status Catalog::PutArtifact(const ArtifactRecord& record, const store::Manifest& manifest) {
  return db_->Transaction([&]() -> Status {
    ASSIGN_OR_RETURN(
        auto insert,
        db_->Prepare(
            "INSERT OR IGNORE INTO artifact (id, kind, name, media_type, size, created_by_run, "
            "created_at, metadata) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    insert.Bind(1, record.id)
        .Bind(2, record.kind)
        .Bind(3, record.name)
        .Bind(4, record.media_type)
        .Bind(5, static_cast<int64_t>(record.size))
        .BindOptional(6, record.created_by_run)
        .Bind(7, record.created_at.empty() ? NowIso8601() : record.created_at)
        .Bind(8, CanonicalJson(record.metadata));
    RETURN_IF_ERROR(insert.Run());
    ASSIGN_OR_RETURN(auto file, db_->Prepare("INSERT OR IGNORE INTO artifact_file (artifact_id, "
                                             "path, blob, size) VALUES (?1, ?2, ?3, ?4)"));
    for (const auto& f : manifest.files()) {
      file.Reset();
      file.Bind(1, record.id)
          .Bind(2, f.path)
          .Bind(3, f.digest.Id())
          .Bind(4, static_cast<int64_t>(f.size));
      RETURN_IF_ERROR(file.Run());
    }
    return Status::Ok();
  });
}

Result<std::optional<std::vector<std::string>>> Catalog::DeleteUnusedArtifact(
    const std::string& id) {
  std::optional<std::vector<std::string>> orphans;
  Status status = db_->Transaction([&]() -> Status {
    ASSIGN_OR_RETURN(auto used, db_->Prepare("SELECT (SELECT COUNT(*) FROM run_input WHERE "
                                             "artifact_id = ?1) + (SELECT COUNT(*) FROM "
                                             "model_version WHERE artifact_id = ?1)"));
    used.Bind(1, id);
    ASSIGN_OR_RETURN(bool row, used.Step());
    if (!row || used.ColumnInt(0) > 0) return Status::Ok();
    // Blobs listed by this artifact only.
    ASSIGN_OR_RETURN(auto blobs,
                     db_->Prepare("SELECT DISTINCT f.blob FROM artifact_file f WHERE "
                                  "f.artifact_id = ?1 AND NOT EXISTS (SELECT 1 FROM artifact_file "
                                  "g WHERE g.blob = f.blob AND g.artifact_id <> ?1)"));
    blobs.Bind(1, id);
    ASSIGN_OR_RETURN(auto only_here,
                     CollectRows(blobs, [](const SqliteStatement& r) { return r.ColumnText(0); }));
    for (const char* sql : {"DELETE FROM signature WHERE artifact_id = ?1",
                            "DELETE FROM run_output WHERE artifact_id = ?1",
                            "DELETE FROM artifact_file WHERE artifact_id = ?1",
                            "DELETE FROM artifact WHERE id = ?1"}) {
      ASSIGN_OR_RETURN(auto del, db_->Prepare(sql));
      del.Bind(1, id);
      RETURN_IF_ERROR(del.Run());
    }
    orphans = std::move(only_here);
    return Status::Ok();
  });
  RETURN_IF_ERROR(status);
  return orphans;
}

Result<ArtifactRecord> Catalog::GetArtifact(const std::string& id) {
  ASSIGN_OR_RETURN(auto q, db_->Prepare(fmt::format("SELECT {} FROM artifact a WHERE a.id = ?1",
                                                    kArtifactColumns)));
  q.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return NotFoundError(fmt::format("no artifact {} in the catalog", id));
  return ArtifactFromRow(q);
}

Result<std::vector<ArtifactRecord>> Catalog::ListArtifacts(const std::string& kind_filter) {
  ASSIGN_OR_RETURN(
      auto q,
      db_->Prepare(fmt::format(
          "SELECT {} FROM artifact a WHERE ?1 = '' OR a.kind = ?1 ORDER BY a.created_at, a.id",
          kArtifactColumns)));
  q.Bind(1, kind_filter);
  return CollectRows(q, ArtifactFromRow);
}

Result<std::vector<std::string>> Catalog::ArtifactIdsWithPrefix(std::string prefix, int limit) {
  if (prefix.rfind("sha256:", 0) != 0) prefix = "sha256:" + prefix;
  // Escape LIKE wildcards: ids are hex, but a user-typed prefix may not be.
  std::string pattern;
  for (char c : prefix) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  pattern += '%';
  ASSIGN_OR_RETURN(
      auto q,
      db_->Prepare("SELECT id FROM artifact WHERE id LIKE ?1 ESCAPE '\\' ORDER BY id LIMIT ?2"));
  q.Bind(1, pattern).Bind(2, static_cast<int64_t>(limit));
  return CollectRows(q, [](const SqliteStatement& row) { return row.ColumnText(0); });
}

Result<std::optional<std::string>> Catalog::LatestArtifactNamed(const std::string& name) {
  size_t slash = name.find('/');
  size_t dot = name.find('.', slash == std::string::npos ? 0 : slash);
  if (slash != std::string::npos && dot != std::string::npos) {
    ASSIGN_OR_RETURN(
        auto by_run,
        db_->Prepare(
            "SELECT ro.artifact_id FROM run r JOIN run_output ro ON ro.run_id = r.id "
            "WHERE r.pipeline = ?1 AND r.step = ?2 AND ro.role = ?3 AND r.status = 'succeeded' "
            "ORDER BY r.id DESC LIMIT 1"));
    by_run.Bind(1, name.substr(0, slash))
        .Bind(2, name.substr(slash + 1, dot - slash - 1))
        .Bind(3, name.substr(dot + 1));
    ASSIGN_OR_RETURN(bool found, by_run.Step());
    if (found) return std::optional<std::string>(by_run.ColumnText(0));
  }
  ASSIGN_OR_RETURN(
      auto q,
      db_->Prepare(
          "SELECT id FROM artifact WHERE name = ?1 ORDER BY created_at DESC, rowid DESC LIMIT 1"));
  q.Bind(1, name);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(q.ColumnText(0));
}

Result<std::vector<ArtifactFileRecord>> Catalog::ListArtifactFiles() {
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT artifact_id, path, blob, size FROM artifact_file "
                                        "ORDER BY blob, artifact_id, path"));
  return CollectRows(q, [](const SqliteStatement& row) {
    return ArtifactFileRecord{row.ColumnText(0), row.ColumnText(1), row.ColumnText(2),
                              static_cast<uint64_t>(row.ColumnInt(3))};
  });
}

}  // namespace citadel::catalog
