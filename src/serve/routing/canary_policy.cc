#include "serve/routing/canary_policy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "base/text/yaml.h"

namespace citadel::serve {
namespace {

constexpr size_t kMaxSteps = 100;
constexpr int64_t kMaxRequests = 1'000'000'000;
constexpr double kMaxStepSeconds = 30 * 24 * 3600.0;

std::string Describe(const Json& value) {
  std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return fmt::format("'{}'", text);
}

Result<std::vector<double>> ParseSteps(const SpecReader& steps) {
  if (!steps.json().is_array()) {
    return steps.Error(fmt::format("expected a list of canary weights in percent, got {}",
                                   Describe(steps.json())));
  }
  if (steps.Size() == 0 || steps.Size() > kMaxSteps) {
    return steps.Error(
        fmt::format("expected 1 to {} steps ending at 100, got {}", kMaxSteps, steps.Size()));
  }
  std::vector<double> out;
  for (size_t i = 0; i < steps.Size(); ++i) {
    SpecReader step = steps.Element(i);
    const Json& v = step.json();
    if (!v.is_number() || !(v.get<double>() > 0) || v.get<double>() > 100) {
      return step.Error(fmt::format("expected a weight in (0, 100], got {}", Describe(v)));
    }
    double weight = v.get<double>();
    if (!out.empty() && weight <= out.back()) {
      return step.Error(fmt::format("{} is not above the previous step {}", weight, out.back()));
    }
    out.push_back(weight);
  }
  if (out.back() != 100) {
    return steps.Element(out.size() - 1)
        .Error(fmt::format("the last step is {}; it must be 100, so that a rollout that passes "
                           "every step ends in a promotion",
                           out.back()));
  }
  return out;
}

Result<CanaryPolicy::OnTimeout> ParseOnTimeout(const SpecReader& rollout, std::string_view key,
                                               CanaryPolicy::OnTimeout fallback) {
  ASSIGN_OR_RETURN(std::string name, rollout.String(key, std::string(OnTimeoutName(fallback))));
  for (auto action : {CanaryPolicy::OnTimeout::kHold, CanaryPolicy::OnTimeout::kRollback,
                      CanaryPolicy::OnTimeout::kPromote}) {
    if (name == OnTimeoutName(action)) return action;
  }
  return rollout.FieldError(
      key, fmt::format("expected hold, rollback or promote, got {}", Describe(Json(name))));
}

// --- Decision ---------------------------------------------------------------

// How much evidence a check may act on. kEarly: fewer than min_requests canary
// requests, so only a breach that the rest of the step cannot undo counts;
// kFull: the plain rates over what was measured.
enum class Evidence { kEarly, kFull };

struct Check {
  Json record = Json::object();
  bool breached = false;
  std::string sentence;  // the breach, or a short "passed" / "skipped" note
};

struct RateCheck {
  std::string_view name;  // for the pass note
  std::string_view what;  // breach sentence up to the rate
  std::string_view limit_name;
  std::string_view count_name;  // what `count` counts, for a skipped note
  int64_t bad = 0;
  int64_t count = 0;
  double limit = 0;
};

Check EvaluateRate(const RateCheck& c, Evidence evidence, const CanaryPolicy& policy,
                   int64_t canary_requests) {
  Check out;
  out.record = {{"bad", c.bad}, {"count", c.count}, {"limit", c.limit}};
  if (c.count <= 0) {
    // Nothing measured (for disagreement: no shadow comparison ran). Absence
    // of a measurement is not a breach; min_requests still gates promotion.
    out.record["skipped"] = fmt::format("no {}", c.count_name);
    out.sentence = fmt::format("{} skipped (no {})", c.name, c.count_name);
    return out;
  }
  double rate = static_cast<double>(c.bad) / static_cast<double>(c.count);
  out.record["value"] = rate;
  std::string measured = fmt::format("{:.3g} ({}/{})", rate, c.bad, c.count);
  if (evidence == Evidence::kFull) {
    out.breached = rate > c.limit;
    out.sentence = out.breached
                       ? fmt::format("{} {} exceeds {} {}", c.what, measured, c.limit_name, c.limit)
                       : fmt::format("{} {} ≤ {}", c.name, measured, c.limit);
    return out;
  }
  if (canary_requests < policy.min_requests_for_rollback) {
    out.record["judged"] = false;
    out.sentence = fmt::format("{} {} not judged yet", c.name, measured);
    return out;
  }
  // The rate the step would end with if every request still missing up to
  // min_requests were clean: above the limit, the verdict is already known.
  int64_t remaining = std::max<int64_t>(0, policy.min_requests - c.count);
  double decided = static_cast<double>(c.bad) / static_cast<double>(c.count + remaining);
  out.record["decided_value"] = decided;
  out.breached = decided > c.limit;
  out.sentence = out.breached
                     ? fmt::format(
                           "{} {} exceeds {} {}, and would still exceed it after {} more clean "
                           "requests",
                           c.what, measured, c.limit_name, c.limit, remaining)
                     : fmt::format("{} {} not decided yet", c.name, measured);
  return out;
}

Check EvaluateLatency(const CanaryPolicy& policy, const VersionWindow& primary,
                      const VersionWindow& canary, Evidence evidence) {
  Check out;
  out.record = {{"canary_p99_seconds", canary.p99_seconds},
                {"primary_p99_seconds", primary.p99_seconds},
                {"limit", policy.max_p99_latency_ratio}};
  auto skip = [&](std::string why) {
    out.sentence = fmt::format("p99 ratio skipped ({})", why);
    out.record["skipped"] = std::move(why);
    return out;
  };
  if (evidence == Evidence::kEarly) return skip("judged from min_requests on");
  // No baseline: at 100% the primary serves nothing, and a primary without a
  // measured p99 cannot be compared against. The absolute checks still run.
  // (A caller that wants a latency gate at 100% can pass the previous step's
  // primary window.)
  if (primary.requests <= 0) return skip("the primary served no requests this step");
  if (!(primary.p99_seconds > 0) || !std::isfinite(primary.p99_seconds)) {
    return skip("the primary's p99 was not measured");
  }
  if (!(canary.p99_seconds > 0)) return skip("the canary's p99 was not measured");
  double ratio = canary.p99_seconds / primary.p99_seconds;
  out.record["value"] = ratio;
  out.breached = ratio > policy.max_p99_latency_ratio;
  out.sentence =
      out.breached
          ? fmt::format(
                "canary p99 latency {:.3g} s is {:.3g}× the primary's {:.3g} s, above "
                "max_p99_latency_ratio {}",
                canary.p99_seconds, ratio, primary.p99_seconds, policy.max_p99_latency_ratio)
          : fmt::format("p99 ratio {:.3g} ≤ {}", ratio, policy.max_p99_latency_ratio);
  return out;
}

struct Checks {
  Json records = Json::object();
  std::vector<std::string> breaches;
  std::vector<std::string> notes;
};

Checks EvaluateAll(const CanaryPolicy& policy, const VersionWindow& primary,
                   const VersionWindow& canary, Evidence evidence) {
  Checks out;
  auto add = [&](std::string_view name, Check check) {
    (check.breached ? out.breaches : out.notes).push_back(std::move(check.sentence));
    check.record["breached"] = check.breached;
    out.records[std::string(name)] = std::move(check.record);
  };
  add("error_rate",
      EvaluateRate({"error rate", "canary error rate", "max_error_rate", "canary requests",
                    canary.errors, canary.requests, policy.max_error_rate},
                   evidence, policy, canary.requests));
  add("p99_latency_ratio", EvaluateLatency(policy, primary, canary, evidence));
  add("disagreement_rate",
      EvaluateRate({"disagreement rate", "canary top-1 disagreement with the primary",
                    "max_disagreement_rate", "compared requests", canary.disagreements,
                    canary.compared, policy.max_disagreement_rate},
                   evidence, policy, canary.requests));
  add("ood_rate",
      EvaluateRate({"OOD rate", "canary out-of-distribution rate", "max_ood_rate",
                    "canary requests", canary.ood_flags, canary.requests, policy.max_ood_rate},
                   evidence, policy, canary.requests));
  return out;
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

Json WindowJson(const VersionWindow& w, bool canary) {
  Json j = {{"requests", w.requests}, {"errors", w.errors}, {"p99_seconds", w.p99_seconds}};
  if (canary) {
    j["compared"] = w.compared;
    j["disagreements"] = w.disagreements;
    j["ood_flags"] = w.ood_flags;
  }
  return j;
}

// The step after `weight`; the last step when `weight` is at or past it.
double NextStep(const CanaryPolicy& policy, double weight) {
  for (double step : policy.steps) {
    if (step > weight) return step;
  }
  return policy.steps.empty() ? 100 : policy.steps.back();
}

}  // namespace

std::string_view OnTimeoutName(CanaryPolicy::OnTimeout action) {
  switch (action) {
    case CanaryPolicy::OnTimeout::kHold:
      return "hold";
    case CanaryPolicy::OnTimeout::kRollback:
      return "rollback";
    case CanaryPolicy::OnTimeout::kPromote:
      return "promote";
  }
  return "hold";
}

std::string_view ActionName(RolloutDecision::Action action) {
  switch (action) {
    case RolloutDecision::Action::kHold:
      return "hold";
    case RolloutDecision::Action::kAdvance:
      return "advance";
    case RolloutDecision::Action::kPromote:
      return "promote";
    case RolloutDecision::Action::kRollback:
      return "rollback";
  }
  return "hold";
}

Result<CanaryPolicy> ParseCanaryPolicy(const SpecReader& rollout) {
  RETURN_IF_ERROR(rollout.ExpectObject(
      {"steps", "min_requests", "max_error_rate", "max_p99_latency_ratio", "max_disagreement_rate",
       "max_ood_rate", "max_step_seconds", "on_timeout", "min_requests_for_rollback"}));
  CanaryPolicy p;
  if (rollout.Has("steps")) {
    ASSIGN_OR_RETURN(p.steps, ParseSteps(rollout.Child("steps")));
  }
  ASSIGN_OR_RETURN(p.min_requests, rollout.Int("min_requests", 1, kMaxRequests, p.min_requests));
  ASSIGN_OR_RETURN(p.max_error_rate, rollout.Number("max_error_rate", 0, 1, p.max_error_rate));
  // Below 1 the canary would have to beat the primary's p99, which an
  // equally fast model fails about half the time.
  ASSIGN_OR_RETURN(p.max_p99_latency_ratio,
                   rollout.Number("max_p99_latency_ratio", 1, 1000, p.max_p99_latency_ratio));
  ASSIGN_OR_RETURN(p.max_disagreement_rate,
                   rollout.Number("max_disagreement_rate", 0, 1, p.max_disagreement_rate));
  ASSIGN_OR_RETURN(p.max_ood_rate, rollout.Number("max_ood_rate", 0, 1, p.max_ood_rate));
  ASSIGN_OR_RETURN(p.max_step_seconds,
                   rollout.Number("max_step_seconds", 1, kMaxStepSeconds, p.max_step_seconds));
  ASSIGN_OR_RETURN(p.on_timeout, ParseOnTimeout(rollout, "on_timeout", p.on_timeout));
  // Default 20, but never above min_requests, so that a policy setting only
  // min_requests: 10 stays valid.
  ASSIGN_OR_RETURN(p.min_requests_for_rollback,
                   rollout.Int("min_requests_for_rollback", 1, kMaxRequests,
                               std::min(p.min_requests_for_rollback, p.min_requests)));
  if (p.min_requests_for_rollback > p.min_requests) {
    return rollout.FieldError(
        "min_requests_for_rollback",
        fmt::format("{} is above min_requests {}: a breach must be judged no later than the step",
                    p.min_requests_for_rollback, p.min_requests));
  }
  return p;
}

Result<CanaryPolicy> ParseCanaryPolicy(const Json& rollout, std::string_view where) {
  YamlDocument doc;
  doc.source = std::string(where);
  doc.root = rollout;
  return ParseCanaryPolicy(SpecReader(doc, ""));
}

Json CanaryPolicyToJson(const CanaryPolicy& p) {
  return {{"steps", p.steps},
          {"min_requests", p.min_requests},
          {"max_error_rate", p.max_error_rate},
          {"max_p99_latency_ratio", p.max_p99_latency_ratio},
          {"max_disagreement_rate", p.max_disagreement_rate},
          {"max_ood_rate", p.max_ood_rate},
          {"max_step_seconds", p.max_step_seconds},
          {"on_timeout", OnTimeoutName(p.on_timeout)},
          {"min_requests_for_rollback", p.min_requests_for_rollback}};
}

RolloutDecision DecideRollout(const CanaryPolicy& policy, double weight,
                              const VersionWindow& primary, const VersionWindow& canary,
                              double step_seconds) {
  using Action = RolloutDecision::Action;
  RolloutDecision d;
  d.from_weight = weight;
  d.numbers = {{"weight", weight},
               {"step_seconds", step_seconds},
               {"primary", WindowJson(primary, false)},
               {"canary", WindowJson(canary, true)},
               {"policy", CanaryPolicyToJson(policy)}};
  auto decide = [&](Action action, double to, std::string reason) {
    d.action = action;
    d.to_weight = to;
    d.reason = std::move(reason);
    d.numbers["action"] = ActionName(action);
    d.numbers["to_weight"] = to;
    return d;
  };

  if (!(weight > 0)) {
    return decide(Action::kHold, weight,
                  fmt::format("the canary has weight {}: the rollout has not started or was "
                              "rolled back, and only an explicit restart moves it",
                              weight));
  }

  bool full = canary.requests >= policy.min_requests;
  Checks checks = EvaluateAll(policy, primary, canary, full ? Evidence::kFull : Evidence::kEarly);
  d.numbers["checks"] = checks.records;
  if (!checks.breaches.empty()) {
    return decide(Action::kRollback, 0,
                  fmt::format("{} at {}% after {} canary requests; rolling back",
                              Join(checks.breaches, "; "), weight, canary.requests));
  }

  double next = NextStep(policy, weight);
  bool last = policy.steps.empty() || weight >= policy.steps.back();
  auto move_on = [&](std::string why) {
    if (last) {
      return decide(Action::kPromote, 100,
                    fmt::format("{}; promoting: the canary becomes the primary", why));
    }
    return decide(Action::kAdvance, next,
                  fmt::format("{}; advancing from {}% to {}%", why, weight, next));
  };

  if (!full) {
    std::string counts = fmt::format("{} of {} canary requests needed to judge the {}% step",
                                     canary.requests, policy.min_requests, weight);
    if (step_seconds < policy.max_step_seconds) {
      return decide(Action::kHold, weight,
                    fmt::format("waiting for traffic: {} ({:.0f} s of max_step_seconds {})", counts,
                                step_seconds, policy.max_step_seconds));
    }
    d.numbers["timed_out"] = true;
    std::string timeout =
        fmt::format("not enough traffic to judge: {} after {:.0f} s", counts, step_seconds);
    switch (policy.on_timeout) {
      case CanaryPolicy::OnTimeout::kHold:
        return decide(Action::kHold, weight, timeout + "; holding (on_timeout: hold)");
      case CanaryPolicy::OnTimeout::kRollback:
        return decide(Action::kRollback, 0, timeout + "; rolling back (on_timeout: rollback)");
      case CanaryPolicy::OnTimeout::kPromote: {
        // Judged on the traffic it got; a breach on these few requests is not
        // evidence enough to roll back, but it is enough not to move on.
        Checks partial = EvaluateAll(policy, primary, canary, Evidence::kFull);
        d.numbers["partial_checks"] = partial.records;
        if (!partial.breaches.empty()) {
          return decide(Action::kHold, weight,
                        fmt::format("{}; holding, not moving on although on_timeout is promote, "
                                    "because {}",
                                    timeout, Join(partial.breaches, "; ")));
        }
        return move_on(fmt::format("{}; judged on the requests seen (on_timeout: promote): {}",
                                   timeout, Join(partial.notes, ", ")));
      }
    }
  }
  return move_on(fmt::format("all checks passed over {} canary requests at {}%: {}",
                             canary.requests, weight, Join(checks.notes, ", ")));
}

}  // namespace citadel::serve
