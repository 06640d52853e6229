// The automated canary rollout: judges an endpoint's canary over the
// current step's window with the deployment's CanaryPolicy, and turns a
// decision into the next deployment spec. The deployment watcher records
// the new revision and the decision with the numbers behind it.
#pragma once

#include <chrono>
#include <optional>

#include "serve/routing/canary_policy.h"
#include "serve/routing/endpoint_state.h"

namespace citadel::serve {

// The decision for `state` now, or nullopt when it has no rollout (no
// canary or no policy).
std::optional<RolloutDecision> JudgeCanary(const EndpointState& state,
                                           std::chrono::steady_clock::time_point now);

// The spec after `decision`: advance → the canary gets decision.to_weight;
// promote → the canary becomes the only primary (rollout done); rollback →
// the canary is removed (rollout done). Hold → unchanged.
DeploymentSpec ApplyRolloutDecision(const DeploymentSpec& spec, const RolloutDecision& decision);

}  // namespace citadel::serve
