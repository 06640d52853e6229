// The automated canary rollout's decision logic: given what the primary and
// the canary did during the current traffic step, hold, move to the next
// weight step, promote, or roll back — and say why, with the numbers.
//
// Pure functions: no threads, no clock (the caller passes the step's age), no
// I/O. The caller owns the rollout state (current weight, when the step began,
// the per-step windows of counts) and records each decision it acts on. When
// the canary's version changes mid-rollout the caller must start over at the
// first step with fresh windows (Flagger resets its analysis for the same
// reason: numbers measured on another version say nothing about this one).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "base/text/spec_reader.h"

namespace citadel::serve {

struct CanaryPolicy {
  // What to do when a step has run max_step_seconds without min_requests
  // canary requests. Hold by default: too little traffic is no evidence
  // against the canary (rolling back would punish quiet endpoints) and none
  // for it (moving on would promote an unjudged model). This is Argo
  // Rollouts' "inconclusive → pause"; Flagger's progress deadline rolls back.
  enum class OnTimeout { kHold, kRollback, kPromote };

  // Canary weight (% of traffic) per step: strictly increasing, each in
  // (0, 100], the last exactly 100. An explicit list rather than Flagger's
  // stepWeight/maxWeight pair, whose non-multiples once left a "promoted"
  // canary never copied to the primary (fluxcd/flagger#189).
  std::vector<double> steps = {5, 25, 50, 100};
  // Canary requests in a step before the step may be judged a success.
  int64_t min_requests = 100;
  // Canary errors / canary requests. Errors are requests the version failed
  // (5xx-class), not requests rejected as malformed before reaching it.
  double max_error_rate = 0.01;
  // Canary p99 / primary p99 (skipped while the primary has no latency).
  double max_p99_latency_ratio = 1.5;
  // Compared requests where canary and primary top-1 differ / compared.
  double max_disagreement_rate = 0.05;
  // Out-of-distribution flags raised by the canary's detector / canary
  // requests: a high rate means the new model was trained on data unlike
  // live traffic.
  double max_ood_rate = 0.10;
  // Age of a step after which on_timeout applies.
  double max_step_seconds = 600;
  OnTimeout on_timeout = OnTimeout::kHold;
  // A breach may roll back before min_requests once this many canary
  // requests were seen (and the breach can no longer be undone within the
  // step; see DecideRollout). 1 ≤ this ≤ min_requests.
  int64_t min_requests_for_rollback = 20;

  friend bool operator==(const CanaryPolicy&, const CanaryPolicy&) = default;
};

// "hold", "rollback", "promote": the names `on_timeout` takes in a spec.
std::string_view OnTimeoutName(CanaryPolicy::OnTimeout action);

// Reads a deployment's `rollout:` mapping. Absent (or null) fields keep their
// defaults. Unknown fields, wrong types and out-of-range values are
// InvalidArgument naming the field, with the file and line when the reader's
// document has them: "serve.yaml:12: deployments/0/rollout/steps/2: 40 is not
// above the previous step 50".
Result<CanaryPolicy> ParseCanaryPolicy(const SpecReader& rollout);
// The same for a mapping that came without source lines (the control-plane
// API): `where` starts every message ("deployment iris rollout: steps/2: …").
Result<CanaryPolicy> ParseCanaryPolicy(const Json& rollout, std::string_view where);
// Every field, so ParseCanaryPolicy(CanaryPolicyToJson(p)) == p.
Json CanaryPolicyToJson(const CanaryPolicy& policy);

// What one version did during the current step (the caller counts it).
struct VersionWindow {
  int64_t requests = 0;
  int64_t errors = 0;
  double p99_seconds = 0;     // 0 when nothing was measured
  int64_t compared = 0;       // canary only: requests also answered by the primary
  int64_t disagreements = 0;  // of those, how many had a different top-1
  int64_t ood_flags = 0;
};

struct RolloutDecision {
  enum class Action { kHold, kAdvance, kPromote, kRollback };
  Action action = Action::kHold;
  double from_weight = 0;
  double to_weight = 0;  // hold: unchanged; promote: 100 (the canary becomes primary); rollback: 0
  std::string reason;    // a sentence with the numbers behind it
  Json numbers;          // every measured value, derived rate and threshold used
};

// "hold", "advance", "promote", "rollback".
std::string_view ActionName(RolloutDecision::Action action);

// Decides the next move of a canary at `weight` percent whose current step
// began `step_seconds` ago. Checks, in order:
//  1. Breaches roll back. Error, disagreement and OOD rates are judged from
//     min_requests_for_rollback canary requests on, but before min_requests
//     only once the breach is decided: the rate stays above its limit even if
//     every request still needed to reach min_requests were clean (5 errors in
//     60 requests with min_requests 100 is ≥ 5/100 whatever follows). One
//     early error in 20 requests therefore does not roll back a canary whose
//     true error rate is within a 1% limit. The p99 ratio is judged only from
//     min_requests on: a p99 of 20 samples is the slowest one, often the
//     first request after loading (cold caches, lazy kernel selection).
//  2. Below min_requests: hold, or after max_step_seconds apply on_timeout
//     (kPromote moves on unless the partial numbers already breach a limit).
//  3. Otherwise advance to the next step above `weight`, or promote when
//     `weight` is the last step (100).
// A weight ≤ 0 holds: the rollout has not started or was rolled back, and
// restarting it is the caller's explicit act, never an accident of calling.
// A weight not in policy.steps (the policy changed mid-rollout) advances to
// the first step above it.
RolloutDecision DecideRollout(const CanaryPolicy& policy, double weight,
                              const VersionWindow& primary, const VersionWindow& canary,
                              double step_seconds);

}  // namespace citadel::serve
