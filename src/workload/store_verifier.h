// `citadel store verify`: re-hashes every blob the catalog refers to (each
// artifact's manifest and files), in parallel, and names every corrupt or
// missing one together with the artifacts and files that use it.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "workload/workspace.h"

namespace citadel::workload {

struct BlobUse {
  std::string artifact_id;
  std::string artifact_name;
  std::string path;  // file inside the artifact, or "(manifest)"
};

struct BlobProblem {
  std::string blob;     // "sha256:…"
  std::string problem;  // "corrupt" | "missing" | "unreadable"
  std::string detail;
  std::vector<BlobUse> used_by;
};

struct StoreReport {
  int64_t blobs_checked = 0;
  uint64_t bytes_checked = 0;
  int64_t unreferenced_blobs = 0;  // present but used by no artifact (harmless)
  std::vector<BlobProblem> problems;

  bool ok() const { return problems.empty(); }
  Json ToJson() const;
};

// `threads` 0 = one per core. Returns an error only when the check itself
// cannot run; damage is reported in the StoreReport.
Result<StoreReport> VerifyStore(Workspace& ws, size_t threads = 0);

}  // namespace citadel::workload
