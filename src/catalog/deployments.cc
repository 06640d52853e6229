// Catalog: deployments (append-only revisions), server events and API tokens.
#include <fmt/format.h>

#include "base/text/json.h"
#include "base/time.h"
#include "catalog/catalog.h"
#include "catalog/internal/rows.h"

namespace citadel::catalog {
namespace {

constexpr std::string_view kDeploymentColumns =
    "endpoint, revision, spec, reason, created_by, created_at";

DeploymentRecord DeploymentFromRow(const SqliteStatement& row) {
  DeploymentRecord d;
  d.endpoint = row.ColumnText(0);
  d.revision = row.ColumnInt(1);
  d.spec = internal::JsonColumn(row, 2);
  d.reason = row.ColumnText(3);
  d.created_by = row.ColumnText(4);
  d.created_at = row.ColumnText(5);
  return d;
}

TokenRecord TokenFromRow(const SqliteStatement& row) {
  TokenRecord t;
  t.id = row.ColumnText(0);
  t.name = row.ColumnText(1);
  t.hash = row.ColumnText(2);
  t.limits = internal::JsonColumn(row, 3);
  t.created_at = row.ColumnText(4);
  t.revoked_at = row.ColumnOptionalText(5);
  return t;
}

}  // namespace

Result<int64_t> Catalog::PutDeployment(const DeploymentRecord& record,
                                       std::optional<int64_t> expected_current) {
  int64_t revision = 0;
  Status s = db_->Transaction([&]() -> Status {
    ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT coalesce(max(revision), 0) FROM deployment "
                                          "WHERE endpoint = ?1"));
    q.Bind(1, record.endpoint);
    ASSIGN_OR_RETURN(bool row, q.Step());
    int64_t current = row ? q.ColumnInt(0) : 0;
    if (expected_current.has_value() && *expected_current != current) {
      return FailedPreconditionError(fmt::format(
          "endpoint {} is at revision {}, not {}: another change was deployed meanwhile",
          record.endpoint, current, *expected_current));
    }
    revision = current + 1;
    ASSIGN_OR_RETURN(auto insert,
                     db_->Prepare("INSERT INTO deployment (endpoint, revision, spec, reason, "
                                  "created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    insert.Bind(1, record.endpoint)
        .Bind(2, revision)
        .Bind(3, CanonicalJson(record.spec))
        .Bind(4, record.reason)
        .Bind(5, record.created_by)
        .Bind(6, record.created_at.empty() ? NowIso8601() : record.created_at);
    return insert.Run();
  });
  if (!s.ok()) return s.WithContext(fmt::format("deploying endpoint {}", record.endpoint));
  return revision;
}

Result<std::vector<DeploymentRecord>> Catalog::CurrentDeployments() {
  ASSIGN_OR_RETURN(auto q, db_->Prepare(fmt::format(
                               "SELECT {} FROM deployment d WHERE revision = (SELECT "
                               "max(revision) FROM deployment WHERE endpoint = d.endpoint) AND "
                               "spec != '{{}}' ORDER BY endpoint",
                               kDeploymentColumns)));
  return CollectRows(q, DeploymentFromRow);
}

Result<std::optional<DeploymentRecord>> Catalog::CurrentDeployment(const std::string& endpoint) {
  ASSIGN_OR_RETURN(auto q, db_->Prepare(fmt::format("SELECT {} FROM deployment WHERE endpoint = "
                                                    "?1 ORDER BY revision DESC LIMIT 1",
                                                    kDeploymentColumns)));
  q.Bind(1, endpoint);
  ASSIGN_OR_RETURN(std::vector<DeploymentRecord> rows, CollectRows(q, DeploymentFromRow));
  if (rows.empty()) return std::optional<DeploymentRecord>();
  return std::optional<DeploymentRecord>(std::move(rows.front()));
}

Result<std::vector<DeploymentRecord>> Catalog::DeploymentHistory(const std::string& endpoint) {
  ASSIGN_OR_RETURN(auto q, db_->Prepare(fmt::format("SELECT {} FROM deployment WHERE endpoint = "
                                                    "?1 ORDER BY revision",
                                                    kDeploymentColumns)));
  q.Bind(1, endpoint);
  return CollectRows(q, DeploymentFromRow);
}

Status Catalog::AddDeploymentEvent(const DeploymentEvent& event) {
  ASSIGN_OR_RETURN(auto q, db_->Prepare("INSERT INTO deployment_event (endpoint, kind, detail, "
                                        "created_at) VALUES (?1, ?2, ?3, ?4)"));
  q.Bind(1, event.endpoint)
      .Bind(2, event.kind)
      .Bind(3, CanonicalJson(event.detail))
      .Bind(4, event.created_at.empty() ? NowIso8601() : event.created_at);
  Status s = q.Run();
  if (!s.ok()) return s.WithContext(fmt::format("recording a {} event", event.kind));
  return Status::Ok();
}

Result<std::vector<DeploymentEvent>> Catalog::DeploymentEvents(const std::string& endpoint,
                                                               int limit) {
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT id, endpoint, kind, detail, created_at FROM "
                                        "(SELECT * FROM deployment_event WHERE ?1 = '' OR "
                                        "endpoint = ?1 ORDER BY id DESC LIMIT ?2) ORDER BY id"));
  q.Bind(1, endpoint).Bind(2, static_cast<int64_t>(limit));
  return CollectRows(q, [](const SqliteStatement& row) {
    DeploymentEvent e;
    e.id = row.ColumnInt(0);
    e.endpoint = row.ColumnText(1);
    e.kind = row.ColumnText(2);
    e.detail = internal::JsonColumn(row, 3);
    e.created_at = row.ColumnText(4);
    return e;
  });
}

Status Catalog::PutToken(const TokenRecord& token) {
  ASSIGN_OR_RETURN(auto exists, db_->Prepare("SELECT 1 FROM api_token WHERE name = ?1"));
  exists.Bind(1, token.name);
  ASSIGN_OR_RETURN(bool taken, exists.Step());
  if (taken) {
    return AlreadyExistsError(fmt::format(
        "a token named '{}' exists; revoke it first or choose another name", token.name));
  }
  ASSIGN_OR_RETURN(auto q, db_->Prepare("INSERT INTO api_token (id, name, hash, limits, "
                                        "created_at) VALUES (?1, ?2, ?3, ?4, ?5)"));
  q.Bind(1, token.id)
      .Bind(2, token.name)
      .Bind(3, token.hash)
      .Bind(4, CanonicalJson(token.limits))
      .Bind(5, token.created_at.empty() ? NowIso8601() : token.created_at);
  Status s = q.Run();
  if (!s.ok()) return s.WithContext(fmt::format("recording token '{}'", token.name));
  return Status::Ok();
}

Result<std::vector<TokenRecord>> Catalog::ListTokens() {
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT id, name, hash, limits, created_at, revoked_at "
                                        "FROM api_token ORDER BY created_at, name"));
  return CollectRows(q, TokenFromRow);
}

Status Catalog::RevokeToken(const std::string& id_or_name) {
  // A revoked token keeps its row (and name) for the audit trail; its name
  // is freed by renaming so that a replacement can reuse it.
  ASSIGN_OR_RETURN(auto q, db_->Prepare("UPDATE api_token SET revoked_at = ?2, name = name || "
                                        "' (revoked ' || ?2 || ')' WHERE (id = ?1 OR name = ?1) "
                                        "AND revoked_at IS NULL"));
  q.Bind(1, id_or_name).Bind(2, NowIso8601());
  RETURN_IF_ERROR(q.Run());
  if (db_->Changes() == 0) {
    return NotFoundError(
        fmt::format("no live token with id or name '{}'; `citadel tokens ls` "
                    "lists them",
                    id_or_name));
  }
  return Status::Ok();
}

Result<int64_t> Catalog::DataVersion() {
  ASSIGN_OR_RETURN(auto q, db_->Prepare("PRAGMA data_version"));
  ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? q.ColumnInt(0) : 0;
}

}  // namespace citadel::catalog
