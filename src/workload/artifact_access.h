// Reading and writing whole artifacts of a workspace: the catalog record plus
// the blobs, with every byte verified on read and every error naming the
// artifact.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "base/status.h"
#include "base/system/mapped_file.h"
#include "base/text/json.h"
#include "catalog/records.h"
#include "ml/dataset_view.h"
#include "ml/model_files.h"
#include "store/manifest.h"
#include "workload/workspace.h"

namespace citadel::workload {

// Media types of the artifacts Citadel writes (docs/formats/).
inline constexpr std::string_view kDatasetMediaType = "application/vnd.citadel.dataset.v2";
inline constexpr std::string_view kModelMediaType = "application/vnd.citadel.model.v1";
inline constexpr std::string_view kReportMediaType = "application/vnd.citadel.report.v1+json";
inline constexpr std::string_view kPredictionsMediaType = "text/csv";
inline constexpr std::string_view kSourceMediaType = "application/octet-stream";

struct LoadedArtifact {
  catalog::ArtifactRecord record;
  store::Manifest manifest;
};

// Catalog record + manifest (whose digest must equal the id).
Result<LoadedArtifact> LoadArtifact(Workspace& ws, const std::string& id);

// A file of the artifact, verified; DataLoss names artifact, file and blob.
Result<std::string> ReadArtifactFile(Workspace& ws, const LoadedArtifact& artifact,
                                     std::string_view path);

// The one file of a single-file artifact (a `source` input), verified.
Result<std::string> ReadSingleFile(Workspace& ws, const LoadedArtifact& artifact);

// The same mapped into memory (large files read once: checkpoints).
Result<MappedFile> MapArtifactFile(Workspace& ws, const LoadedArtifact& artifact,
                                   std::string_view path);

// Dataset / model views for src/ml; InvalidArgument when the artifact is of
// another kind.
Result<ml::DatasetView> LoadDatasetView(Workspace& ws, const LoadedArtifact& artifact);
Result<ml::ModelFiles> LoadModelFiles(Workspace& ws, const LoadedArtifact& artifact);

struct NewArtifact {
  std::string kind;
  std::string name;
  std::string_view media_type;
  std::optional<std::string> created_by_run;
  Json metadata = Json::object();
};

// Stores every file under `dir` (or the single file `path`) and records the
// artifact. Returns its id. Same content → same id, whoever stores it.
Result<std::string> StoreArtifactDir(Workspace& ws, const std::filesystem::path& dir,
                                     const NewArtifact& info);
Result<std::string> StoreArtifactFile(Workspace& ws, const std::filesystem::path& path,
                                      std::string_view name_in_artifact, const NewArtifact& info);
// Records an artifact whose blobs and manifest are already stored.
Result<std::string> RecordArtifact(Workspace& ws, const store::Manifest& manifest,
                                   const NewArtifact& info);

// True when the manifest and every file blob of `id` are present (no rehash):
// the cheap check that a cached output can still be used.
bool ArtifactBlobsPresent(Workspace& ws, const std::string& id);

}  // namespace citadel::workload
