#include "workload/store_verifier.h"

#include <sys/stat.h>

#include <map>
#include <mutex>

#include "base/system/thread_pool.h"

namespace citadel::workload {

Json StoreReport::ToJson() const {
  Json problems_json = Json::array();
  for (const auto& p : problems) {
    Json uses = Json::array();
    for (const auto& u : p.used_by) {
      uses.push_back({{"artifact", u.artifact_id}, {"name", u.artifact_name}, {"path", u.path}});
    }
    problems_json.push_back(
        {{"blob", p.blob}, {"problem", p.problem}, {"detail", p.detail}, {"used_by", uses}});
  }
  return {{"ok", ok()},
          {"blobs_checked", blobs_checked},
          {"bytes_checked", bytes_checked},
          {"unreferenced_blobs", unreferenced_blobs},
          {"problems", problems_json}};
}

Result<StoreReport> VerifyStore(Workspace& ws, size_t threads) {
  std::map<std::string, std::vector<BlobUse>> uses;  // blob id → users
  ASSIGN_OR_RETURN(auto artifacts, ws.catalog().ListArtifacts());
  std::map<std::string, std::string> names;
  for (const auto& a : artifacts) {
    names[a.id] = a.name;
    uses[a.id].push_back(
        {a.id, a.name, "(manifest)"});  // the manifest blob's digest is the artifact id
  }
  ASSIGN_OR_RETURN(auto files, ws.catalog().ListArtifactFiles());
  for (const auto& f : files) uses[f.blob].push_back({f.artifact_id, names[f.artifact_id], f.path});

  std::vector<std::string> blobs;
  for (const auto& [blob, unused] : uses) blobs.push_back(blob);
  std::vector<Status> results(blobs.size());
  std::vector<uint64_t> sizes(blobs.size(), 0);
  {
    ThreadPool pool(threads);
    pool.ParallelFor(blobs.size(), [&](size_t i) {
      auto digest = crypto::Sha256Digest::FromHex(blobs[i]);
      if (!digest.ok()) {
        results[i] = digest.status();
        return;
      }
      results[i] = ws.blobs().Verify(*digest);
      struct stat st {};
      if (::stat(ws.blobs().PathOf(*digest).c_str(), &st) == 0)
        sizes[i] = static_cast<uint64_t>(st.st_size);
    });
  }

  StoreReport report;
  report.blobs_checked = static_cast<int64_t>(blobs.size());
  for (size_t i = 0; i < blobs.size(); ++i) {
    report.bytes_checked += sizes[i];
    if (results[i].ok()) continue;
    std::string problem = results[i].code() == StatusCode::kDataLoss   ? "corrupt"
                          : results[i].code() == StatusCode::kNotFound ? "missing"
                                                                       : "unreadable";
    report.problems.push_back({blobs[i], problem, results[i].message(), uses[blobs[i]]});
  }
  ASSIGN_OR_RETURN(auto present, ws.blobs().List());
  for (const auto& d : present) {
    if (!uses.count(d.Id())) ++report.unreferenced_blobs;
  }
  return report;
}

}  // namespace citadel::workload
