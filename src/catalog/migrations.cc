#include "catalog/migrations.h"

#include <fmt/format.h>

namespace citadel::catalog {

const std::vector<Migration>& AllMigrations() {
  static const std::vector<Migration>* migrations = new std::vector<Migration>{
      {1, "artifacts, runs, lineage edges, metrics, model registry", R"sql(
CREATE TABLE artifact (
  id             TEXT PRIMARY KEY,
  kind           TEXT NOT NULL,
  name           TEXT NOT NULL,
  media_type     TEXT NOT NULL,
  size           INTEGER NOT NULL,
  created_by_run TEXT,
  created_at     TEXT NOT NULL,
  metadata       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX artifact_by_kind ON artifact(kind, created_at);
CREATE INDEX artifact_by_name ON artifact(name);

CREATE TABLE artifact_file (
  artifact_id TEXT NOT NULL REFERENCES artifact(id),
  path        TEXT NOT NULL,
  blob        TEXT NOT NULL,
  size        INTEGER NOT NULL,
  PRIMARY KEY (artifact_id, path)
);
CREATE INDEX artifact_file_by_blob ON artifact_file(blob);

CREATE TABLE run (
  id          TEXT PRIMARY KEY,
  pipeline    TEXT NOT NULL,
  step        TEXT NOT NULL,
  kind        TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('queued','running','succeeded','failed','cancelled')),
  spec        TEXT NOT NULL,
  spec_digest TEXT NOT NULL,
  cache_key   TEXT NOT NULL,
  cached_from TEXT REFERENCES run(id),
  seed        INTEGER,
  env         TEXT NOT NULL DEFAULT '{}',
  started_at  TEXT NOT NULL,
  finished_at TEXT,
  message     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX run_by_cache_key ON run(cache_key, status);
CREATE INDEX run_by_status ON run(status);
CREATE INDEX run_by_pipeline ON run(pipeline, step);

CREATE TABLE run_input (
  run_id      TEXT NOT NULL REFERENCES run(id),
  artifact_id TEXT NOT NULL REFERENCES artifact(id),
  role        TEXT NOT NULL,
  PRIMARY KEY (run_id, role, artifact_id)
);
CREATE INDEX run_input_by_artifact ON run_input(artifact_id);

CREATE TABLE run_output (
  run_id      TEXT NOT NULL REFERENCES run(id),
  artifact_id TEXT NOT NULL REFERENCES artifact(id),
  role        TEXT NOT NULL,
  PRIMARY KEY (run_id, role, artifact_id)
);
CREATE INDEX run_output_by_artifact ON run_output(artifact_id);

CREATE TABLE metric (
  run_id  TEXT NOT NULL REFERENCES run(id),
  key     TEXT NOT NULL,
  step    INTEGER NOT NULL,
  value   REAL NOT NULL,
  time_ms INTEGER NOT NULL
);
CREATE INDEX metric_by_run ON metric(run_id, key, step);

CREATE TABLE model (
  name       TEXT PRIMARY KEY,
  created_at TEXT NOT NULL
);

CREATE TABLE model_version (
  model_name     TEXT NOT NULL REFERENCES model(name),
  version        INTEGER NOT NULL,
  artifact_id    TEXT NOT NULL REFERENCES artifact(id),
  created_by_run TEXT,
  created_at     TEXT NOT NULL,
  PRIMARY KEY (model_name, version),
  UNIQUE (model_name, artifact_id)
);

CREATE TABLE model_alias (
  model_name TEXT NOT NULL,
  alias      TEXT NOT NULL,
  version    INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (model_name, alias),
  FOREIGN KEY (model_name, version) REFERENCES model_version(model_name, version)
);
)sql"},
      {2, "signatures of artifacts", R"sql(
CREATE TABLE signature (
  artifact_id TEXT NOT NULL REFERENCES artifact(id),
  signer      TEXT NOT NULL,
  bundle      TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (artifact_id, signer)
);
)sql"},
      {3, "provenance attestations of runs", R"sql(
CREATE TABLE attestation (
  run_id         TEXT NOT NULL REFERENCES run(id),
  predicate_type TEXT NOT NULL,
  signer         TEXT NOT NULL,
  bundle         TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  PRIMARY KEY (run_id, predicate_type)
);
)sql"},
      {4, "deployments with history, server events, API tokens", R"sql(
CREATE TABLE deployment (
  endpoint   TEXT NOT NULL,
  revision   INTEGER NOT NULL,
  spec       TEXT NOT NULL,
  reason     TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (endpoint, revision)
);
CREATE TABLE deployment_event (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  endpoint   TEXT NOT NULL,
  kind       TEXT NOT NULL,
  detail     TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX deployment_event_by_endpoint ON deployment_event(endpoint, id);
CREATE TABLE api_token (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  hash       TEXT NOT NULL UNIQUE,
  limits     TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
)sql"},
  };
  return *migrations;
}

namespace {
Result<int> SchemaVersion(SqliteDb& db) {
  ASSIGN_OR_RETURN(auto query, db.Prepare("PRAGMA user_version"));
  ASSIGN_OR_RETURN(bool row, query.Step());
  return row ? static_cast<int>(query.ColumnInt(0)) : 0;
}
}  // namespace

Status Migrate(SqliteDb& db) {
  const auto& migrations = AllMigrations();
  int latest = migrations.empty() ? 0 : migrations.back().version;
  ASSIGN_OR_RETURN(int current, SchemaVersion(db));
  if (current > latest) {
    return FailedPreconditionError(
        fmt::format("catalog {} has schema version {}, newer than this citadel understands ({}); "
                    "upgrade citadel",
                    db.path().string(), current, latest));
  }
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    Status s = db.Transaction([&]() -> Status {
      // Re-read under the write lock: another process may have migrated
      // while we waited for it.
      ASSIGN_OR_RETURN(int now, SchemaVersion(db));
      if (now >= m.version) return Status::Ok();
      RETURN_IF_ERROR(db.Exec(m.sql));
      return db.Exec(fmt::format("PRAGMA user_version = {}", m.version));
    });
    if (!s.ok())
      return s.WithContext(
          fmt::format("applying catalog migration {} ({})", m.version, m.description));
  }
  return Status::Ok();
}

}  // namespace citadel::catalog
