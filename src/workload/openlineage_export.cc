#include "workload/openlineage_export.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <set>

#include "base/system/host_info.h"
#include "base/version.h"
#include "data/dataset_prep.h"
#include "provenance/openlineage_events.h"
#include "workload/artifact_access.h"

namespace citadel::workload {
namespace {

using provenance::LineageDataset;
using provenance::LineageField;
using provenance::LineageRun;
using provenance::LineageRunState;

LineageRunState StateOf(catalog::RunStatus status) {
  switch (status) {
    case catalog::RunStatus::kQueued:
      return LineageRunState::kNotStarted;
    case catalog::RunStatus::kRunning:
      return LineageRunState::kRunning;
    case catalog::RunStatus::kSucceeded:
      return LineageRunState::kCompleted;
    case catalog::RunStatus::kFailed:
      return LineageRunState::kFailed;
    case catalog::RunStatus::kCancelled:
      return LineageRunState::kAborted;
  }
  return LineageRunState::kNotStarted;
}

// The columns of a Citadel dataset (docs/formats/dataset.md): its float32
// features in tensor order, each described by the input columns it was
// computed from, then the int64 label.
Result<std::vector<LineageField>> DatasetFields(Workspace& ws, const LoadedArtifact& artifact) {
  ASSIGN_OR_RETURN(std::string text, ReadArtifactFile(ws, artifact, data::kDatasetSchemaFile));
  ASSIGN_OR_RETURN(Json schema, ParseJson(text, artifact.record.name + "/schema.json"));
  std::vector<LineageField> fields;
  const Json& lineage = schema.value("column_lineage", Json::object());
  for (const Json& name : schema.value("features", Json::array())) {
    if (!name.is_string()) continue;
    LineageField field{name.get<std::string>(), "float32", ""};
    std::string from;
    for (const Json& input : lineage.value(field.name, Json::array())) {
      if (input.is_string()) from += (from.empty() ? "" : ", ") + input.get<std::string>();
    }
    if (!from.empty() && from != field.name) field.description = "computed from " + from;
    fields.push_back(std::move(field));
  }
  const Json& label = schema.value("label", Json::object());
  if (label.contains("name") && label["name"].is_string()) {
    fields.push_back({label["name"].get<std::string>(), "int64",
                      fmt::format("label: index into {} classes",
                                  label.value("classes", Json::array()).size())});
  }
  return fields;
}

// Artifacts as OpenLineage datasets, each read once however many runs
// touch it.
class DatasetCatalog {
 public:
  explicit DatasetCatalog(Workspace& ws) : ws_(ws) {}

  Result<LineageDataset> Get(const catalog::RunEdge& edge) {
    auto it = datasets_.find(edge.artifact_id);
    if (it == datasets_.end()) {
      ASSIGN_OR_RETURN(LineageDataset d, Load(edge.artifact_id));
      it = datasets_.emplace(edge.artifact_id, std::move(d)).first;
    }
    LineageDataset d = it->second;
    d.role = edge.role;
    return d;
  }

 private:
  Result<LineageDataset> Load(const std::string& id) {
    ASSIGN_OR_RETURN(LoadedArtifact artifact, LoadArtifact(ws_, id));
    const catalog::ArtifactRecord& r = artifact.record;
    LineageDataset d;
    // Marquez keys datasets by name and versions them: the artifact name
    // ("digits/prepare.train") stays the same from run to run while the id
    // (content) changes, so it is the name, and the id the version.
    d.name = r.name.empty() ? r.id : r.name;
    d.version = r.id;
    d.kind = r.kind;
    d.media_type = r.media_type;
    d.size = r.size;
    d.files = static_cast<int64_t>(artifact.manifest.files().size());
    if (r.metadata.contains("rows") && r.metadata["rows"].is_number_integer()) {
      d.rows = r.metadata["rows"].get<int64_t>();
    }
    if (r.kind == "dataset" && r.media_type == kDatasetMediaType) {
      ASSIGN_OR_RETURN(d.fields, DatasetFields(ws_, artifact));
    }
    return d;
  }

  Workspace& ws_;
  std::map<std::string, LineageDataset> datasets_;
};

Result<LineageRun> RunOf(Workspace& ws, DatasetCatalog& datasets, const catalog::RunRecord& r) {
  LineageRun run;
  run.id = r.id;
  run.pipeline = r.pipeline;
  run.step = r.step;
  run.kind = r.kind;
  run.state = StateOf(r.status);
  run.started_at = r.started_at;
  run.finished_at = r.finished_at;
  run.message = r.message;
  run.engine_version = r.env.value("citadel_version", "");
  run.git_commit = r.env.value("git_commit", "");
  run.spec_digest = r.spec_digest;
  run.cache_key = r.cache_key;
  run.seed = r.seed;
  run.cached_from = r.cached_from;
  // Every edge the run has, not only those inside the graph: an event
  // describes the whole run (the test split that prepare also wrote is
  // still its output when walking up from a model trained on train).
  ASSIGN_OR_RETURN(auto inputs, ws.catalog().RunInputs(r.id));
  for (const catalog::RunEdge& edge : inputs) {
    ASSIGN_OR_RETURN(run.inputs.emplace_back(), datasets.Get(edge));
  }
  ASSIGN_OR_RETURN(auto outputs, ws.catalog().RunOutputs(r.id));
  for (const catalog::RunEdge& edge : outputs) {
    ASSIGN_OR_RETURN(run.outputs.emplace_back(), datasets.Get(edge));
  }
  return run;
}

}  // namespace

std::string DefaultOpenLineageNamespace(const Workspace& ws) {
  std::error_code ec;
  std::filesystem::path root = std::filesystem::weakly_canonical(ws.root(), ec);
  if (ec) root = std::filesystem::absolute(ws.root(), ec).lexically_normal();
  return fmt::format("citadel://{}{}", Hostname(), root.generic_string());
}

Result<std::vector<Json>> OpenLineageEvents(Workspace& ws, const std::string& artifact_id,
                                            catalog::LineageDirection direction,
                                            const std::string& lineage_namespace) {
  ASSIGN_OR_RETURN(catalog::LineageGraph graph, ws.catalog().Lineage(artifact_id, direction));
  DatasetCatalog datasets(ws);
  std::vector<LineageRun> runs;
  std::set<std::string> seen;
  for (const catalog::RunRecord& r : graph.runs) {
    if (!seen.insert(r.id).second) continue;
    ASSIGN_OR_RETURN(runs.emplace_back(), RunOf(ws, datasets, r));
    // The lineage graph names the runs that produced; the cached re-runs
    // that reused their outputs happened too, and a lineage service that
    // tracks job runs should see them.
    ASSIGN_OR_RETURN(auto cached, ws.catalog().RunsCachedFrom(r.id));
    for (const catalog::RunRecord& c : cached) {
      if (!seen.insert(c.id).second) continue;
      ASSIGN_OR_RETURN(runs.emplace_back(), RunOf(ws, datasets, c));
    }
  }
  provenance::OpenLineageContext context;
  context.job_namespace =
      lineage_namespace.empty() ? DefaultOpenLineageNamespace(ws) : lineage_namespace;
  context.dataset_namespace = context.job_namespace;
  context.producer = provenance::CitadelProducerUri();
  context.exporter_version = CitadelVersion();
  return provenance::OpenLineageRunEvents(runs, context);
}

}  // namespace citadel::workload
