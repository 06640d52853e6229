// Catalog: lineage as recursive SQL over run_input / run_output.
#include <set>
//
// Up:   artifact ← producing run ← that run's inputs ← their producing runs …
// Down: artifact → consuming runs → their outputs → their consumers …
// Runs with cached_from set only reused outputs and are not part of lineage.
#include <fmt/format.h>

#include "catalog/catalog.h"
#include "catalog/internal/rows.h"

namespace citadel::catalog {

namespace {

// Artifacts reachable from ?1, as a CTE named `reach(id)`.
constexpr std::string_view kUpReach = R"sql(
WITH RECURSIVE reach(id) AS (
  SELECT ?1
  UNION
  SELECT ri.artifact_id FROM reach
    JOIN run_output ro ON ro.artifact_id = reach.id
    JOIN run r ON r.id = ro.run_id AND r.cached_from IS NULL
    JOIN run_input ri ON ri.run_id = r.id
))sql";

constexpr std::string_view kDownReach = R"sql(
WITH RECURSIVE reach(id) AS (
  SELECT ?1
  UNION
  SELECT ro.artifact_id FROM reach
    JOIN run_input ri ON ri.artifact_id = reach.id
    JOIN run r ON r.id = ri.run_id AND r.cached_from IS NULL
    JOIN run_output ro ON ro.run_id = r.id
))sql";

// Runs on the walk: producers of reached artifacts (up) or consumers (down).
constexpr std::string_view kUpRuns = R"sql(
, walked(run_id) AS (
  SELECT DISTINCT ro.run_id FROM run_output ro JOIN reach ON reach.id = ro.artifact_id
    JOIN run r ON r.id = ro.run_id AND r.cached_from IS NULL
))sql";

constexpr std::string_view kDownRuns = R"sql(
, walked(run_id) AS (
  SELECT DISTINCT ri.run_id FROM run_input ri JOIN reach ON reach.id = ri.artifact_id
    JOIN run r ON r.id = ri.run_id AND r.cached_from IS NULL
))sql";

struct Queries {
  std::string artifacts, runs, inputs, outputs;
};

Queries BuildQueries(std::string_view reach, std::string_view walked) {
  std::string prefix = std::string(reach) + std::string(walked);
  Queries q;
  q.artifacts = fmt::format(
      "{} SELECT {} FROM artifact a JOIN reach ON reach.id = a.id ORDER BY a.created_at, a.id",
      prefix, internal::kArtifactColumns);
  q.runs = fmt::format("{} SELECT {} FROM run r JOIN walked ON walked.run_id = r.id ORDER BY r.id",
                       prefix, internal::kRunColumns);
  // Only edges between nodes of the graph: a sibling output (the test split
  // when walking up from a model trained on train) is not lineage.
  q.inputs = fmt::format(
      "{} SELECT ri.artifact_id, ri.run_id, ri.role FROM run_input ri "
      "JOIN walked ON walked.run_id = ri.run_id JOIN reach ON reach.id = ri.artifact_id "
      "ORDER BY ri.run_id, ri.role",
      prefix);
  q.outputs = fmt::format(
      "{} SELECT ro.run_id, ro.artifact_id, ro.role FROM run_output ro "
      "JOIN walked ON walked.run_id = ro.run_id JOIN reach ON reach.id = ro.artifact_id "
      "ORDER BY ro.run_id, ro.role",
      prefix);
  return q;
}

}  // namespace

Result<LineageGraph> Catalog::Lineage(const std::string& artifact_id, LineageDirection direction) {
  RETURN_IF_ERROR(GetArtifact(artifact_id));
  LineageGraph graph;
  std::vector<Queries> passes;
  if (direction != LineageDirection::kDown) passes.push_back(BuildQueries(kUpReach, kUpRuns));
  if (direction != LineageDirection::kUp) passes.push_back(BuildQueries(kDownReach, kDownRuns));

  auto query = [&](const std::string& sql, auto decode)
      -> Result<std::vector<decltype(decode(std::declval<const SqliteStatement&>()))>> {
    ASSIGN_OR_RETURN(auto statement, db_->Prepare(sql));
    statement.Bind(1, artifact_id);
    return CollectRows(statement, decode);
  };
  auto edge = [](const SqliteStatement& row) {
    return LineageEdge{row.ColumnText(0), row.ColumnText(1), row.ColumnText(2)};
  };
  // With both directions, the root is reached twice: keep each node and edge once.
  std::set<std::string> seen;
  for (const Queries& q : passes) {
    ASSIGN_OR_RETURN(auto artifacts, query(q.artifacts, internal::ArtifactFromRow));
    for (auto& a : artifacts) {
      if (seen.insert(a.id).second) graph.artifacts.push_back(std::move(a));
    }
    ASSIGN_OR_RETURN(auto runs, query(q.runs, internal::RunFromRow));
    for (auto& r : runs) {
      if (seen.insert(r.id).second) graph.runs.push_back(std::move(r));
    }
    for (const std::string* sql : {&q.inputs, &q.outputs}) {
      ASSIGN_OR_RETURN(auto edges, query(*sql, edge));
      for (auto& e : edges) {
        if (seen.insert(e.from + "\n" + e.to + "\n" + e.role).second)
          graph.edges.push_back(std::move(e));
      }
    }
  }
  return graph;
}

}  // namespace citadel::catalog
