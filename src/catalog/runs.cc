// Catalog: runs, their input/output edges, and metrics.
#include <fmt/format.h>

#include <cmath>

#include "base/time.h"
#include "catalog/catalog.h"
#include "catalog/internal/rows.h"

namespace citadel::catalog {

using internal::kRunColumns;
using internal::RunFromRow;

Status Catalog::CreateRun(const RunRecord& run) {
  ASSIGN_OR_RETURN(
      auto q,
      db_->Prepare(
          "INSERT INTO run (id, pipeline, step, kind, status, spec, spec_digest, cache_key, "
          "cached_from, seed, env, started_at, finished_at, message) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"));
  q.Bind(1, run.id)
      .Bind(2, run.pipeline)
      .Bind(3, run.step)
      .Bind(4, run.kind)
      .Bind(5, RunStatusName(run.status))
      .Bind(6, CanonicalJson(run.spec))
      .Bind(7, run.spec_digest)
      .Bind(8, run.cache_key)
      .BindOptional(9, run.cached_from)
      .Bind(11, CanonicalJson(run.env))
      .Bind(12, run.started_at.empty() ? NowIso8601() : run.started_at)
      .BindOptional(13, run.finished_at)
      .Bind(14, run.message);
  if (run.seed) {
    q.Bind(10, *run.seed);
  } else {
    q.BindNull(10);
  }
  return q.Run();
}

Status Catalog::CreateRunWithEdges(const RunRecord& run, const std::vector<RunEdge>& inputs,
                                   const std::vector<RunEdge>& outputs) {
  return db_->Transaction([&]() -> Status {
    RETURN_IF_ERROR(CreateRun(run));
    for (const auto& e : inputs) RETURN_IF_ERROR(AddRunInput(run.id, e.artifact_id, e.role));
    for (const auto& e : outputs) RETURN_IF_ERROR(AddRunOutput(run.id, e.artifact_id, e.role));
    return Status::Ok();
  });
}

Status Catalog::FinishRun(const std::string& id, RunStatus status, const std::string& message) {
  ASSIGN_OR_RETURN(
      auto q,
      db_->Prepare("UPDATE run SET status = ?2, finished_at = ?3, message = ?4 WHERE id = ?1"));
  q.Bind(1, id).Bind(2, RunStatusName(status)).Bind(3, NowIso8601()).Bind(4, message);
  RETURN_IF_ERROR(q.Run());
  if (db_->Changes() != 1) return NotFoundError(fmt::format("no run {} to finish", id));
  return Status::Ok();
}

Status Catalog::AddEdge(std::string_view table, const std::string& run_id,
                        const std::string& artifact_id, const std::string& role) {
  ASSIGN_OR_RETURN(
      auto q,
      db_->Prepare(fmt::format(
          "INSERT OR IGNORE INTO {} (run_id, artifact_id, role) VALUES (?1, ?2, ?3)", table)));
  q.Bind(1, run_id).Bind(2, artifact_id).Bind(3, role);
  return q.Run();
}

Status Catalog::AddRunInput(const std::string& run_id, const std::string& artifact_id,
                            const std::string& role) {
  return AddEdge("run_input", run_id, artifact_id, role);
}

Status Catalog::AddRunOutput(const std::string& run_id, const std::string& artifact_id,
                             const std::string& role) {
  return AddEdge("run_output", run_id, artifact_id, role);
}

Result<RunRecord> Catalog::GetRun(const std::string& id) {
  ASSIGN_OR_RETURN(auto q,
                   db_->Prepare(fmt::format("SELECT {} FROM run r WHERE r.id = ?1", kRunColumns)));
  q.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return NotFoundError(fmt::format("no run {} in the catalog", id));
  return RunFromRow(q);
}

Result<std::string> Catalog::ResolveRunId(const std::string& prefix) {
  if (prefix.empty() || prefix.find_first_not_of("0123456789abcdef-") != std::string::npos) {
    return NotFoundError(fmt::format("'{}' is not a run id", prefix));
  }
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT id FROM run WHERE id LIKE ?1 ORDER BY id LIMIT 2"));
  q.Bind(1, prefix + "%");
  ASSIGN_OR_RETURN(auto ids,
                   CollectRows(q, [](const SqliteStatement& row) { return row.ColumnText(0); }));
  if (ids.empty())
    return NotFoundError(fmt::format("no run matches '{}' (see `citadel runs ls`)", prefix));
  if (ids.size() > 1) {
    return InvalidArgumentError(fmt::format(
        "run prefix '{}' is ambiguous ({}, {}, …); type more of it", prefix, ids[0], ids[1]));
  }
  return ids[0];
}

Result<std::vector<RunRecord>> Catalog::ListRuns(int limit) {
  // Newest first: UUIDv7 ids sort by creation time.
  ASSIGN_OR_RETURN(
      auto q,
      db_->Prepare(fmt::format(
          "SELECT {} FROM (SELECT * FROM run ORDER BY id DESC LIMIT ?1) r ORDER BY r.id DESC",
          kRunColumns)));
  q.Bind(1, static_cast<int64_t>(limit));
  return CollectRows(q, RunFromRow);
}

Result<std::vector<RunRecord>> Catalog::RunsWithStatus(RunStatus status) {
  ASSIGN_OR_RETURN(
      auto q, db_->Prepare(fmt::format("SELECT {} FROM run r WHERE r.status = ?1 ORDER BY r.id",
                                       kRunColumns)));
  q.Bind(1, RunStatusName(status));
  return CollectRows(q, RunFromRow);
}

Result<std::vector<RunEdge>> Catalog::Edges(std::string_view table, const std::string& run_id) {
  ASSIGN_OR_RETURN(
      auto q,
      db_->Prepare(fmt::format(
          "SELECT run_id, artifact_id, role FROM {} WHERE run_id = ?1 ORDER BY role, artifact_id",
          table)));
  q.Bind(1, run_id);
  return CollectRows(q, [](const SqliteStatement& row) {
    return RunEdge{row.ColumnText(0), row.ColumnText(1), row.ColumnText(2)};
  });
}

Result<std::vector<RunEdge>> Catalog::RunInputs(const std::string& run_id) {
  return Edges("run_input", run_id);
}

Result<std::vector<RunEdge>> Catalog::RunOutputs(const std::string& run_id) {
  return Edges("run_output", run_id);
}

Result<std::optional<RunRecord>> Catalog::FindCachedRun(const std::string& cache_key) {
  ASSIGN_OR_RETURN(auto q,
                   db_->Prepare(fmt::format(
                       "SELECT {} FROM run r WHERE r.cache_key = ?1 AND r.status = 'succeeded' "
                       "AND r.cached_from IS NULL ORDER BY r.id DESC LIMIT 1",
                       kRunColumns)));
  q.Bind(1, cache_key);
  ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<RunRecord>();
  return std::optional<RunRecord>(RunFromRow(q));
}

Result<std::vector<RunRecord>> Catalog::RunsCachedFrom(const std::string& run_id) {
  ASSIGN_OR_RETURN(
      auto q, db_->Prepare(fmt::format(
                  "SELECT {} FROM run r WHERE r.cached_from = ?1 ORDER BY r.id", kRunColumns)));
  q.Bind(1, run_id);
  return CollectRows(q, RunFromRow);
}

Result<std::vector<RunRecord>> Catalog::UnfinishedRuns(const std::string& cache_key) {
  ASSIGN_OR_RETURN(auto q, db_->Prepare(fmt::format(
                               "SELECT {} FROM run r WHERE r.cache_key = ?1 AND r.status IN "
                               "('failed', 'cancelled') ORDER BY r.id DESC",
                               kRunColumns)));
  q.Bind(1, cache_key);
  return CollectRows(q, RunFromRow);
}

Status Catalog::MarkAbandonedRuns(const std::vector<std::string>& run_ids,
                                  const std::string& message) {
  return db_->Transaction([&]() -> Status {
    ASSIGN_OR_RETURN(
        auto q, db_->Prepare("UPDATE run SET status = 'failed', finished_at = ?2, message = ?3 "
                             "WHERE id = ?1 AND status = 'running'"));
    for (const auto& id : run_ids) {
      q.Reset();
      q.Bind(1, id).Bind(2, NowIso8601()).Bind(3, message);
      RETURN_IF_ERROR(q.Run());
    }
    return Status::Ok();
  });
}

Status Catalog::AddMetrics(const std::string& run_id, const std::vector<MetricPoint>& points) {
  if (points.empty()) return Status::Ok();
  for (const auto& p : points) {
    if (!std::isfinite(p.value)) {
      return InvalidArgumentError(
          fmt::format("run {}: metric '{}' at step {} is {}; only finite values are recorded",
                      run_id, p.key, p.step, p.value));
    }
  }
  return db_->Transaction([&]() -> Status {
    ASSIGN_OR_RETURN(
        auto q,
        db_->Prepare(
            "INSERT INTO metric (run_id, key, step, value, time_ms) VALUES (?1, ?2, ?3, ?4, ?5)"));
    for (const auto& p : points) {
      q.Reset();
      q.Bind(1, run_id).Bind(2, p.key).Bind(3, p.step).Bind(4, p.value).Bind(5, p.time_ms);
      RETURN_IF_ERROR(q.Run());
    }
    return Status::Ok();
  });
}

Result<std::vector<MetricPoint>> Catalog::Metrics(const std::string& run_id) {
  ASSIGN_OR_RETURN(auto q, db_->Prepare("SELECT key, step, value, time_ms FROM metric WHERE run_id "
                                        "= ?1 ORDER BY key, step, rowid"));
  q.Bind(1, run_id);
  return CollectRows(q, [](const SqliteStatement& row) {
    return MetricPoint{row.ColumnText(0), row.ColumnInt(1), row.ColumnDouble(2), row.ColumnInt(3)};
  });
}

Result<std::map<std::string, double>> Catalog::LastMetrics(const std::string& run_id) {
  ASSIGN_OR_RETURN(auto points, Metrics(run_id));
  std::map<std::string, double> last;
  for (const auto& p : points) last[p.key] = p.value;  // ordered by step: the last wins
  return last;
}

}  // namespace citadel::catalog
