#include "workload/artifact_access.h"

#include <fmt/format.h>

#include "data/dataset_prep.h"
#include "store/artifact_files.h"

namespace citadel::workload {

Result<LoadedArtifact> LoadArtifact(Workspace& ws, const std::string& id) {
  LoadedArtifact a;
  ASSIGN_OR_RETURN(a.record, ws.catalog().GetArtifact(id));
  ASSIGN_OR_RETURN(auto digest, crypto::Sha256Digest::FromHex(id));
  Result<store::Manifest> manifest = store::LoadManifest(ws.blobs(), digest);
  if (!manifest.ok()) {
    return manifest.status().WithContext(
        fmt::format("reading artifact {} ({})", id, a.record.name));
  }
  a.manifest = std::move(*manifest);
  return a;
}

Result<std::string> ReadArtifactFile(Workspace& ws, const LoadedArtifact& artifact,
                                     std::string_view path) {
  Result<std::string> data = store::ReadArtifactFile(ws.blobs(), artifact.manifest, path);
  if (!data.ok())
    return data.status().WithContext(
        fmt::format("reading {} artifact '{}'", artifact.record.kind, artifact.record.name));
  return data;
}

Result<MappedFile> MapArtifactFile(Workspace& ws, const LoadedArtifact& artifact,
                                   std::string_view path) {
  Result<MappedFile> data = store::MapArtifactFile(ws.blobs(), artifact.manifest, path);
  if (!data.ok())
    return data.status().WithContext(
        fmt::format("reading {} artifact '{}'", artifact.record.kind, artifact.record.name));
  return data;
}

namespace {
Status ExpectKind(const LoadedArtifact& a, std::string_view kind) {
  if (a.record.kind == kind) return Status::Ok();
  return InvalidArgumentError(fmt::format("artifact {} ({}) is a {}, but a {} is needed here",
                                          a.record.id, a.record.name, a.record.kind, kind));
}
}  // namespace

Result<ml::DatasetView> LoadDatasetView(Workspace& ws, const LoadedArtifact& artifact) {
  RETURN_IF_ERROR(ExpectKind(artifact, "dataset"));
  ml::DatasetView view;
  view.name =
      fmt::format("dataset {} ({})", artifact.record.id.substr(0, 19), artifact.record.name);
  ASSIGN_OR_RETURN(std::string schema, ReadArtifactFile(ws, artifact, data::kDatasetSchemaFile));
  ASSIGN_OR_RETURN(view.schema, ParseJson(schema, view.name + " schema.json"));
  ASSIGN_OR_RETURN(view.safetensors, ReadArtifactFile(ws, artifact, data::kDatasetDataFile));
  return view;
}

Result<ml::ModelFiles> LoadModelFiles(Workspace& ws, const LoadedArtifact& artifact) {
  RETURN_IF_ERROR(ExpectKind(artifact, "model"));
  ml::ModelFiles files;
  ASSIGN_OR_RETURN(std::string model_json, ReadArtifactFile(ws, artifact, "model.json"));
  ASSIGN_OR_RETURN(files.model_json, ParseJson(model_json, artifact.record.id + " model.json"));
  ASSIGN_OR_RETURN(files.safetensors, ReadArtifactFile(ws, artifact, "model.safetensors"));
  const Json& arch =
      files.model_json.contains("architecture") ? files.model_json["architecture"] : Json();
  if (arch.is_object() && arch.contains("arch") && arch["arch"].is_string() &&
      arch["arch"].get<std::string>() == "torchscript") {
    ASSIGN_OR_RETURN(files.torchscript, ReadArtifactFile(ws, artifact, ml::kScriptedModuleFile));
  }
  // Only models trained with a detector have one (docs/formats/model.md).
  if (artifact.manifest.Find(ml::kOodDetectorFile) != nullptr) {
    ASSIGN_OR_RETURN(files.ood, ReadArtifactFile(ws, artifact, ml::kOodDetectorFile));
  }
  return files;
}

Result<std::string> ReadSingleFile(Workspace& ws, const LoadedArtifact& artifact) {
  if (artifact.manifest.files().size() != 1) {
    return InvalidArgumentError(fmt::format("artifact {} holds {} files, not one",
                                            artifact.record.id, artifact.manifest.files().size()));
  }
  return ReadArtifactFile(ws, artifact, artifact.manifest.files().front().path);
}

Result<std::string> RecordArtifact(Workspace& ws, const store::Manifest& manifest,
                                   const NewArtifact& info) {
  catalog::ArtifactRecord record;
  record.id = manifest.Id().Id();
  record.kind = info.kind;
  record.name = info.name;
  record.media_type = std::string(info.media_type);
  record.size = manifest.TotalSize();
  record.created_by_run = info.created_by_run;
  record.metadata = info.metadata;
  RETURN_IF_ERROR(ws.catalog().PutArtifact(record, manifest));
  return record.id;
}

Result<std::string> StoreArtifactDir(Workspace& ws, const std::filesystem::path& dir,
                                     const NewArtifact& info) {
  ASSIGN_OR_RETURN(store::Manifest manifest, store::StoreDirectory(ws.blobs(), dir));
  return RecordArtifact(ws, manifest, info);
}

Result<std::string> StoreArtifactFile(Workspace& ws, const std::filesystem::path& path,
                                      std::string_view name_in_artifact, const NewArtifact& info) {
  ASSIGN_OR_RETURN(store::Manifest manifest, store::StoreFile(ws.blobs(), path, name_in_artifact));
  return RecordArtifact(ws, manifest, info);
}

bool ArtifactBlobsPresent(Workspace& ws, const std::string& id) {
  auto digest = crypto::Sha256Digest::FromHex(id);
  if (!digest.ok() || !ws.blobs().Contains(*digest)) return false;
  auto manifest = store::LoadManifest(ws.blobs(), *digest);
  if (!manifest.ok()) return false;
  for (const auto& f : manifest->files()) {
    if (!ws.blobs().Contains(f.digest)) return false;
  }
  return true;
}

}  // namespace citadel::workload
