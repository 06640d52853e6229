// The server's control loop: keeps what runs equal to what the catalog
// says. It polls the catalog (one pragma per poll), and on any change
// reloads the API tokens and the deployments; a new revision is loaded
// beside the running one — trust policy enforced, every byte verified —
// and swapped in only once it loaded, so requests never fail during a
// swap. A revision that cannot be loaded is refused: the previous one keeps
// serving, and the refusal is recorded and shown. It also drives canary
// rollouts, writing each decision as a new revision plus an event with the
// numbers behind it.
//
// Everything it does is recorded as deployment events in the catalog.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/status.h"
#include "serve/guards/access_control.h"
#include "serve/prometheus_metrics.h"
#include "serve/routing/endpoint_state.h"
#include "workload/workspace.h"

namespace citadel::serve {

// The endpoints being served now; thread-safe, read on every request.
class EndpointTable {
 public:
  std::shared_ptr<const EndpointState> Find(std::string_view endpoint) const;
  std::map<std::string, std::shared_ptr<const EndpointState>> All() const;
  void Replace(std::map<std::string, std::shared_ptr<const EndpointState>> states);
  // True once the catalog was read and every deployed endpoint has a model.
  bool ready() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const EndpointState>> states_;
  bool synced_ = false;
};

struct WatcherOptions {
  double poll_seconds = 0.2;
  double rollout_interval_seconds = 1;
};

class DeploymentWatcher {
 public:
  DeploymentWatcher(std::filesystem::path workspace_root, WatcherOptions options,
                    EndpointTable& table, AccessControl& access, MetricsRegistry& metrics);
  ~DeploymentWatcher();  // Stop()

  // Opens its own workspace connection and syncs once before returning (a
  // server starts with its models loaded), then polls on a thread.
  Status Start();
  void Stop();

 private:
  void Loop();
  Status Sync();
  void RunRollouts();
  std::shared_ptr<EndpointState> Build(const catalog::DeploymentRecord& record,
                                       const std::shared_ptr<const EndpointState>& old,
                                       const workload::TrustPolicy& policy, Status* refused);
  void Record(const std::string& endpoint, const std::string& kind, Json detail);

  const std::filesystem::path root_;
  const WatcherOptions options_;
  EndpointTable& table_;
  AccessControl& access_;
  MetricsRegistry& metrics_;
  std::unique_ptr<workload::Workspace> ws_;
  int64_t data_version_ = -1;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace citadel::serve
