#include "serve/routing/rollout_controller.h"

namespace citadel::serve {
namespace {

VersionWindow Window(const StatsSnapshot& w) {
  VersionWindow v;
  v.requests = w.requests;
  v.errors = w.errors;
  v.p99_seconds = w.latency.count > 0 ? w.latency.Quantile(0.99) : 0;
  v.compared = w.compared;
  v.disagreements = w.disagreements;
  v.ood_flags = w.ood_flags;
  return v;
}

}  // namespace

std::optional<RolloutDecision> JudgeCanary(const EndpointState& state,
                                           std::chrono::steady_clock::time_point now) {
  if (!state.spec.rollout || state.canary == nullptr || state.primary == nullptr) {
    return std::nullopt;
  }
  const Route* canary = state.spec.Find(RouteRole::kCanary);
  const StatsSnapshot primary_window =
      StatsSnapshot::Take(state.primary->stats).Minus(state.primary_at_step);
  const StatsSnapshot canary_window =
      StatsSnapshot::Take(state.canary->stats).Minus(state.canary_at_step);
  const double seconds = std::chrono::duration<double>(now - state.step_started).count();
  return DecideRollout(*state.spec.rollout, canary->weight, Window(primary_window),
                       Window(canary_window), seconds);
}

DeploymentSpec ApplyRolloutDecision(const DeploymentSpec& spec, const RolloutDecision& d) {
  DeploymentSpec next = spec;
  using Action = RolloutDecision::Action;
  if (d.action == Action::kHold) return next;
  std::vector<Route> routes;
  for (const Route& r : spec.routes) {
    if (d.action == Action::kAdvance) {
      Route copy = r;
      if (r.role == RouteRole::kCanary) copy.weight = d.to_weight;
      if (r.role == RouteRole::kPrimary) copy.weight = 100 - d.to_weight;
      routes.push_back(copy);
    } else if (d.action == Action::kPromote) {
      if (r.role == RouteRole::kCanary) {
        Route copy = r;
        copy.role = RouteRole::kPrimary;
        copy.weight = 100;
        routes.push_back(copy);
      } else if (r.role == RouteRole::kShadow) {
        routes.push_back(r);
      }
    } else {  // rollback
      if (r.role == RouteRole::kPrimary) {
        Route copy = r;
        copy.weight = 100;
        routes.push_back(copy);
      } else if (r.role == RouteRole::kShadow) {
        routes.push_back(r);
      }
    }
  }
  next.routes = std::move(routes);
  if (d.action != Action::kAdvance) next.rollout.reset();
  return next;
}

}  // namespace citadel::serve
