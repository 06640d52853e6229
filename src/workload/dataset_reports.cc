#include "workload/dataset_reports.h"

#include <fmt/format.h>

#include "data/dataset_prep.h"
#include "workload/artifact_access.h"

namespace citadel::workload {
namespace {

Result<Json> ReadJsonFile(Workspace& ws, const LoadedArtifact& artifact, std::string_view path) {
  ASSIGN_OR_RETURN(std::string text, ReadArtifactFile(ws, artifact, path));
  Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return DataLossError(
        fmt::format("artifact {}: {} is not valid JSON", artifact.record.id, path));
  }
  return value;
}

// The run that produced `artifact`, or NotFound naming it.
Result<std::string> ProducingRun(const LoadedArtifact& artifact) {
  if (!artifact.record.created_by_run.has_value()) {
    return NotFoundError(fmt::format("artifact {} ({}) was not produced by a run",
                                     artifact.record.id, artifact.record.name));
  }
  return *artifact.record.created_by_run;
}

Json Ref(const LoadedArtifact& a) { return Json{{"id", a.record.id}, {"name", a.record.name}}; }

}  // namespace

Result<Json> ColumnLineage(Workspace& ws, const std::string& artifact_id) {
  ASSIGN_OR_RETURN(LoadedArtifact artifact, LoadArtifact(ws, artifact_id));
  Json out = Json{{"artifact", artifact_id}, {"kind", artifact.record.kind}};
  LoadedArtifact dataset = artifact;
  if (artifact.record.kind == "model") {
    out["model"] = Ref(artifact);
    ASSIGN_OR_RETURN(std::string run, ProducingRun(artifact));
    ASSIGN_OR_RETURN(auto inputs, ws.catalog().RunInputs(run));
    bool found = false;
    for (const catalog::RunEdge& edge : inputs) {
      ASSIGN_OR_RETURN(LoadedArtifact candidate, LoadArtifact(ws, edge.artifact_id));
      if (candidate.record.kind == "dataset") {
        dataset = std::move(candidate);
        found = true;
        break;
      }
    }
    if (!found) {
      return NotFoundError(
          fmt::format("model {}: its training run {} has no dataset input", artifact_id, run));
    }
  } else if (artifact.record.kind != "dataset") {
    return InvalidArgumentError(
        fmt::format("{} is a {} artifact; column lineage exists for datasets and models",
                    artifact_id, artifact.record.kind));
  }
  out["dataset"] = Ref(dataset);
  ASSIGN_OR_RETURN(Json schema, ReadJsonFile(ws, dataset, data::kDatasetSchemaFile));
  const Json& lineage = schema.value("column_lineage", Json::object());
  Json features = Json::array();
  for (const Json& name : schema.value("features", Json::array())) {
    std::string feature = name.is_string() ? name.get<std::string>() : name.dump();
    features.push_back(Json{{"name", feature}, {"inputs", lineage.value(feature, Json::array())}});
  }
  out["features"] = std::move(features);
  Json sources = Json::array();
  if (dataset.record.created_by_run.has_value()) {
    ASSIGN_OR_RETURN(auto inputs, ws.catalog().RunInputs(*dataset.record.created_by_run));
    for (const catalog::RunEdge& edge : inputs) {
      ASSIGN_OR_RETURN(LoadedArtifact source, LoadArtifact(ws, edge.artifact_id));
      Json ref = Ref(source);
      ref["role"] = edge.role;
      sources.push_back(std::move(ref));
    }
  }
  out["sources"] = std::move(sources);
  return out;
}

Result<Json> StoredProfile(Workspace& ws, const std::string& artifact_id) {
  ASSIGN_OR_RETURN(LoadedArtifact artifact, LoadArtifact(ws, artifact_id));
  if (artifact.manifest.Find("profile.json") != nullptr) {
    return ReadJsonFile(ws, artifact, "profile.json");
  }
  ASSIGN_OR_RETURN(std::string run, ProducingRun(artifact));
  ASSIGN_OR_RETURN(auto outputs, ws.catalog().RunOutputs(run));
  for (const catalog::RunEdge& edge : outputs) {
    if (edge.role != "profile") continue;
    ASSIGN_OR_RETURN(LoadedArtifact report, LoadArtifact(ws, edge.artifact_id));
    if (report.manifest.Find("profile.json") != nullptr) {
      return ReadJsonFile(ws, report, "profile.json");
    }
  }
  return NotFoundError(fmt::format(
      "no stored profile for {} ({}): its process step ran with profile: false, or it is not a "
      "process output; profile a file directly with `citadel data profile PATH`",
      artifact_id, artifact.record.name));
}

}  // namespace citadel::workload
