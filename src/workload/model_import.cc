#include "workload/model_import.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/ids.h"
#include "base/text/json.h"
#include "base/time.h"
#include "crypto/sha256.h"
#include "workload/artifact_access.h"

namespace citadel::workload {
namespace {

namespace fs = std::filesystem;

Result<std::vector<scan::FileReport>> ScanAll(const fs::path& path, scan::ScanPolicy policy) {
  scan::ScanOptions options;
  options.policy = policy;
  std::vector<fs::path> files;
  if (fs::is_directory(path)) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(path, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_symlink()) {
        return InvalidArgumentError(
            fmt::format("{}: '{}' is a symbolic link; import the files it points to instead",
                        path.string(), it->path().lexically_relative(path).string()));
      }
      if (it->is_regular_file()) files.push_back(it->path());
    }
    if (ec) return UnavailableError(fmt::format("{}: {}", path.string(), ec.message()));
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  std::vector<scan::FileReport> reports;
  for (const fs::path& f : files) {
    ASSIGN_OR_RETURN(scan::FileReport r, scan::ScanFile(f, options));
    reports.push_back(std::move(r));
  }
  return reports;
}

Json FindingsJson(const std::vector<scan::FileReport>& reports, const fs::path& root) {
  Json out = Json::array();
  for (const scan::FileReport& r : reports) {
    for (const scan::Finding& f : r.findings) {
      out.push_back({{"file", fs::path(r.path).lexically_relative(root).generic_string()},
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
  ASSIGN_OR_RETURN(result.reports, ScanAll(path, options.policy));
  const fs::path root = fs::is_directory(path) ? path : path.parent_path();
  const Json findings = FindingsJson(result.reports, root);
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
  Result<std::string> id = fs::is_directory(path)
                               ? StoreArtifactDir(ws, path, info)
                               : StoreArtifactFile(ws, path, path.filename().string(), info);
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
  return result;
}

}  // namespace citadel::workload
