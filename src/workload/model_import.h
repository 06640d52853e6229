// `citadel import`: bringing a model file or directory from outside into
// the workspace. Its files are stored, then scanned from the store (src/scan)
// — so what is judged is exactly what is kept; with findings the import is
// refused (the artifact is never recorded), or — when the user asks for
// quarantine — recorded with the findings in its metadata and
// `quarantined: true`. The import is a recorded run (kind `import`, its
// output role `imported`; the artifact's metadata holds `imported_from`), so
// lineage shows where the artifact came from.
#pragma once

#include <filesystem>
#include <string>

#include "base/status.h"
#include "scan/model_scanner.h"
#include "workload/workspace.h"

namespace citadel::workload {

struct ImportOptions {
  std::string name;  // the artifact's name
  bool quarantine = false;
  scan::ScanPolicy policy = scan::ScanPolicy::kDefault;
};

struct ImportResult {
  std::string artifact_id;
  std::string run_id;
  std::vector<scan::FileReport> reports;  // one per file scanned
  bool quarantined = false;
};

// FailedPrecondition listing the findings when the files are not clean
// and quarantine was not asked for (nothing is stored then).
Result<ImportResult> ImportModel(Workspace& ws, const std::filesystem::path& path,
                                 const ImportOptions& options);

}  // namespace citadel::workload
