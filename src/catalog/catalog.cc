#include "catalog/catalog.h"

#include "catalog/internal/rows.h"
#include "catalog/migrations.h"

namespace citadel::catalog {

std::string_view RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kQueued:
      return "queued";
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kSucceeded:
      return "succeeded";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

std::optional<RunStatus> RunStatusFromName(std::string_view name) {
  for (RunStatus s : {RunStatus::kQueued, RunStatus::kRunning, RunStatus::kSucceeded,
                      RunStatus::kFailed, RunStatus::kCancelled}) {
    if (RunStatusName(s) == name) return s;
  }
  return std::nullopt;
}

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path));
  RETURN_IF_ERROR(Migrate(*db));
  return std::unique_ptr<Catalog>(new Catalog(std::move(db)));
}

namespace internal {

Json JsonColumn(const SqliteStatement& row, int column) {
  std::string text = row.ColumnText(column);
  if (text.empty()) return Json::object();
  Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return Json{{"_unparseable", text}};
  return value;
}

ArtifactRecord ArtifactFromRow(const SqliteStatement& row) {
  ArtifactRecord a;
  a.id = row.ColumnText(0);
  a.kind = row.ColumnText(1);
  a.name = row.ColumnText(2);
  a.media_type = row.ColumnText(3);
  a.size = static_cast<uint64_t>(row.ColumnInt(4));
  a.created_by_run = row.ColumnOptionalText(5);
  a.created_at = row.ColumnText(6);
  a.metadata = JsonColumn(row, 7);
  return a;
}

RunRecord RunFromRow(const SqliteStatement& row) {
  RunRecord r;
  r.id = row.ColumnText(0);
  r.pipeline = row.ColumnText(1);
  r.step = row.ColumnText(2);
  r.kind = row.ColumnText(3);
  r.status = RunStatusFromName(row.ColumnText(4)).value_or(RunStatus::kFailed);
  r.spec = JsonColumn(row, 5);
  r.spec_digest = row.ColumnText(6);
  r.cache_key = row.ColumnText(7);
  r.cached_from = row.ColumnOptionalText(8);
  if (!row.ColumnIsNull(9)) r.seed = row.ColumnInt(9);
  r.env = JsonColumn(row, 10);
  r.started_at = row.ColumnText(11);
  r.finished_at = row.ColumnOptionalText(12);
  r.message = row.ColumnText(13);
  return r;
}

}  // namespace internal
}  // namespace citadel::catalog
