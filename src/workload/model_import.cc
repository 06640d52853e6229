#include "workload/model_import.h"

#include <fmt/format.h>

#include "base/ids.h"
#include "base/text/json.h"
#include "base/time.h"
#include "crypto/sha256.h"
#include "store/artifact_files.h"
#include "workload/artifact_access.h"
#include "workload/run_attestation.h"

namespace citadel::workload {
namespace {

namespace fs = std::filesystem;

// The stored files, scanned from their blobs: content-addressed and
// read-only, they are exactly what the artifact will hold, whatever happens
// to the source meanwhile.
Result<std::vector<scan::FileReport>> ScanStored(const store::BlobStore& blobs,
                                                 const store::Manifest& manifest,
                                                 scan::ScanPolicy policy) {
  scan::ScanOptions options;
  options.policy = policy;
  std::vector<scan::FileReport> reports;
  for (const store::ManifestEntry& f : manifest.files()) {
    ASSIGN_OR_RETURN(MappedFile bytes, store::MapArtifactFile(blobs, manifest, f.path));
    reports.push_back(scan::ScanBytes(bytes.bytes(), f.path, options));
  }
  return reports;
}

Json FindingsJson(const std::vector<scan::FileReport>& reports) {
  Json out = Json::array();
  for (const scan::FileReport& r : reports) {
    for (const scan::Finding& f : r.findings) {
      out.push_back({{"file", r.path},
                     {"entry", f.entry},
                     {"severity", scan::SeverityName(f.severity)},
                     {"rule", f.rule},
                     {"detail", f.detail}});
    }
  }
  return out;
}

}  // namespace

Result<ImportResult> ImportModel(Workspace& ws, const fs::path& path,
                                 const ImportOptions& options) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return NotFoundError(fmt::format("{}: no such file or directory", path.string()));
  }
  if (options.name.empty()) return InvalidArgumentError("give the artifact a name (--name)");
  ImportResult result;
  // Stored first, scanned from the store: the bytes judged are the bytes
  // kept. A refused import leaves only unreferenced blobs behind.
  const bool is_dir = fs::is_directory(path);
  ASSIGN_OR_RETURN(store::Manifest manifest,
                   is_dir ? store::StoreDirectory(ws.blobs(), path)
                          : store::StoreFile(ws.blobs(), path, path.filename().string()));
  ASSIGN_OR_RETURN(result.reports, ScanStored(ws.blobs(), manifest, options.policy));
  const Json findings = FindingsJson(result.reports);
  if (!findings.empty() && !options.quarantine) {
    const Json& first = findings[0];
    return FailedPreconditionError(fmt::format(
        "{}: the model scanner found {} issue(s), the first in {}{}: {} {} ({}); nothing was "
        "imported. Inspect them with `citadel scan {}`, or import it with --quarantine to keep "
        "it stored, marked quarantined",
        path.string(), findings.size(), first["file"].get<std::string>(),
        first["entry"].get<std::string>().empty() ? "" : "!" + first["entry"].get<std::string>(),
        first["severity"].get<std::string>(), first["rule"].get<std::string>(),
        first["detail"].get<std::string>(), path.string()));
  }
  result.quarantined = !findings.empty();

  catalog::RunRecord run;
  run.id = NewUuidV7();
  run.pipeline = "import";
  run.step = options.name;
  run.kind = "import";
  run.status = catalog::RunStatus::kRunning;
  run.spec = {{"path", fs::absolute(path).lexically_normal().string()},
              {"name", options.name},
              {"quarantine", options.quarantine},
              {"policy", options.policy == scan::ScanPolicy::kStrict ? "strict" : "default"}};
  run.spec_digest = crypto::Sha256::Of(CanonicalJson(run.spec)).Id();
  run.cache_key = "import:" + run.id;  // an import is never a cache hit
  run.started_at = NowIso8601();
  RETURN_IF_ERROR(ws.catalog().CreateRunWithEdges(run, {}, {}));

  NewArtifact info;
  info.kind = "file";
  info.name = options.name;
  info.media_type = "application/octet-stream";
  info.created_by_run = run.id;
  info.metadata = {{"imported_from", run.spec["path"]},
                   {"quarantined", result.quarantined},
                   {"scan", {{"policy", run.spec["policy"]}, {"findings", findings}}}};
  Result<std::string> id = RecordArtifact(ws, manifest, info);
  if (!id.ok()) {
    (void)ws.catalog().FinishRun(run.id, catalog::RunStatus::kFailed, id.status().ToString());
    return id.status();
  }
  result.artifact_id = *id;
  result.run_id = run.id;
  RETURN_IF_ERROR(ws.catalog().AddRunOutput(run.id, *id, "imported"));
  RETURN_IF_ERROR(ws.catalog().FinishRun(
      run.id, catalog::RunStatus::kSucceeded,
      result.quarantined ? fmt::format("quarantined: {} scan finding(s)", findings.size()) : ""));
  Status attested = AttestRun(ws, run.id);
  if (!attested.ok()) {
    (void)ws.catalog().FinishRun(run.id, catalog::RunStatus::kFailed,
                                 "recording its provenance failed: " + attested.ToString());
    return attested.WithContext("attesting the import's provenance");
  }
  return result;
}

}  // namespace citadel::workload
