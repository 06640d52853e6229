// What one endpoint serves right now: the deployment revision, its loaded
// model versions by role, and the traffic router that picks a version for
// each request. A state is immutable; a new revision (a deploy, a rollout
// step) builds a new one and swaps it in, so a request always sees one
// consistent revision from start to end.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "serve/prometheus_metrics.h"
#include "serve/routing/deployment_spec.h"
#include "serve/served_model.h"

namespace citadel::serve {

// A version's counters at some moment: the difference of two is a window.
struct StatsSnapshot {
  int64_t requests = 0, errors = 0, compared = 0, disagreements = 0, ood_flags = 0;
  Histogram::Snapshot latency;
  static StatsSnapshot Take(const VersionStats& stats);
  StatsSnapshot Minus(const StatsSnapshot& earlier) const;
};

struct EndpointState {
  std::string endpoint;
  int64_t revision = 0;
  DeploymentSpec spec;
  std::shared_ptr<ServedModel> primary, canary, shadow;
  // The current rollout step began here; the window is measured from it.
  std::chrono::steady_clock::time_point step_started;
  StatsSnapshot primary_at_step, canary_at_step;
  // The newest revision that could not be loaded (the previous one keeps
  // serving): {revision, model, error, at}; null when none.
  Json refusal;

  // The version that answers a request: the canary for its weight's share of
  // traffic. With a client key the choice is a pure function of the key
  // (sticky A/B); without one it is random.
  const std::shared_ptr<ServedModel>& Choose(std::string_view client_key) const;
  // The served version numbered `version` (any role), or null.
  std::shared_ptr<ServedModel> Version(int64_t version) const;
};

}  // namespace citadel::serve
