#include "serve/routing/deployment_watcher.h"

#include <fmt/format.h>

#include <set>

#include "base/logging.h"
#include "base/time.h"
#include "serve/routing/rollout_controller.h"
#include "workload/trust_policy.h"

namespace citadel::serve {

std::shared_ptr<const EndpointState> EndpointTable::Find(std::string_view endpoint) const {
  std::lock_guard lock(mu_);
  auto it = states_.find(std::string(endpoint));
  return it == states_.end() ? nullptr : it->second;
}

std::map<std::string, std::shared_ptr<const EndpointState>> EndpointTable::All() const {
  std::lock_guard lock(mu_);
  return states_;
}

void EndpointTable::Replace(std::map<std::string, std::shared_ptr<const EndpointState>> states) {
  {
    std::lock_guard lock(mu_);
    states_.swap(states);
    synced_ = true;
  }
  // `states` now holds the previous map, released outside the lock: a
  // model's last reference (and its batcher's drain) never blocks readers.
}

bool EndpointTable::ready() const {
  std::lock_guard lock(mu_);
  if (!synced_) return false;
  for (const auto& [name, state] : states_) {
    if (state->primary == nullptr) return false;
  }
  return true;
}

DeploymentWatcher::DeploymentWatcher(std::filesystem::path root, WatcherOptions options,
                                     EndpointTable& table, AccessControl& access,
                                     MetricsRegistry& metrics)
    : root_(std::move(root)),
      options_(options),
      table_(table),
      access_(access),
      metrics_(metrics) {}

DeploymentWatcher::~DeploymentWatcher() { Stop(); }

Status DeploymentWatcher::Start() {
  ASSIGN_OR_RETURN(ws_, workload::Workspace::Open(root_));
  RETURN_IF_ERROR(Sync());
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void DeploymentWatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DeploymentWatcher::Loop() {
  auto next_rollout = std::chrono::steady_clock::now();
  while (true) {
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, std::chrono::duration<double>(options_.poll_seconds),
                     [&] { return stopping_; });
      if (stopping_) return;
    }
    auto version = ws_->catalog().DataVersion();
    if (!version.ok()) {
      log::Warning("serve: polling the catalog: {}", version.status().ToString());
    } else if (*version != data_version_) {
      if (Status s = Sync(); !s.ok()) log::Warning("serve: {}", s.ToString());
    }
    if (std::chrono::steady_clock::now() >= next_rollout) {
      RunRollouts();
      next_rollout = std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double>(options_.rollout_interval_seconds));
    }
  }
}

void DeploymentWatcher::Record(const std::string& endpoint, const std::string& kind, Json detail) {
  catalog::DeploymentEvent e;
  e.endpoint = endpoint;
  e.kind = kind;
  e.detail = std::move(detail);
  if (Status s = ws_->catalog().AddDeploymentEvent(e); !s.ok()) {
    log::Warning("serve: {}", s.ToString());
  }
}

std::shared_ptr<EndpointState> DeploymentWatcher::Build(
    const catalog::DeploymentRecord& record, const std::shared_ptr<const EndpointState>& old,
    const workload::TrustPolicy& policy, Status* refused) {
  const std::string where =
      fmt::format("deployment {} revision {}", record.endpoint, record.revision);
  auto spec = ParseDeploymentSpec(record.spec, where);
  if (!spec.ok()) {
    *refused = spec.status();
    return nullptr;
  }
  auto state = std::make_shared<EndpointState>();
  state->endpoint = record.endpoint;
  state->revision = record.revision;
  state->spec = *spec;
  // Models of the running revision with the same artifact and batching are
  // kept (a rollout step only moves weights): no reload, no lost window.
  auto reuse = [&](const std::string& key) -> std::shared_ptr<ServedModel> {
    if (old == nullptr) return nullptr;
    for (const auto* m : {&old->primary, &old->canary, &old->shadow}) {
      if (*m != nullptr && (*m)->key == key) return *m;
    }
    return nullptr;
  };
  for (const Route& route : spec->routes) {
    std::shared_ptr<ServedModel> model =
        reuse(ServedModelKey(record.endpoint, route, spec->batching));
    if (model == nullptr) {
      auto loaded = LoadServedModel(*ws_, policy, record.endpoint, route, spec->batching, metrics_);
      if (!loaded.ok()) {
        *refused = loaded.status();
        return nullptr;
      }
      model = std::move(*loaded);
      Record(record.endpoint, "load",
             {{"revision", record.revision},
              {"model", route.model},
              {"version", route.version},
              {"artifact", route.artifact_id},
              {"role", RouteRoleName(route.role)},
              {"verification", model->verification}});
      log::Info("serve: {} loaded {} ({}) as {}", record.endpoint, model->Label(),
                route.artifact_id, RouteRoleName(route.role));
    }
    switch (route.role) {
      case RouteRole::kPrimary:
        state->primary = model;
        break;
      case RouteRole::kCanary:
        state->canary = model;
        break;
      case RouteRole::kShadow:
        state->shadow = model;
        break;
    }
  }
  state->step_started = std::chrono::steady_clock::now();
  state->primary_at_step = StatsSnapshot::Take(state->primary->stats);
  if (state->canary) state->canary_at_step = StatsSnapshot::Take(state->canary->stats);
  return state;
}

Status DeploymentWatcher::Sync() {
  catalog::Catalog& cat = ws_->catalog();
  ASSIGN_OR_RETURN(data_version_, cat.DataVersion());
  ASSIGN_OR_RETURN(std::vector<catalog::TokenRecord> tokens, cat.ListTokens());
  if (Status s = access_.SetTokens(tokens); !s.ok()) log::Warning("serve: {}", s.ToString());
  ASSIGN_OR_RETURN(std::vector<catalog::DeploymentRecord> records, cat.CurrentDeployments());
  // A broken policy file refuses every new load (never "no policy"); the
  // running revisions keep serving.
  auto policy = workload::LoadTrustPolicy(*ws_);

  auto current = table_.All();
  std::map<std::string, std::shared_ptr<const EndpointState>> next;
  for (const catalog::DeploymentRecord& record : records) {
    std::shared_ptr<const EndpointState> old;
    if (auto it = current.find(record.endpoint); it != current.end()) old = it->second;
    if (old != nullptr && old->revision == record.revision) {
      next[record.endpoint] = old;
      continue;
    }
    if (old != nullptr && old->refusal.is_object() &&
        old->refusal.value("revision", int64_t{0}) == record.revision) {
      next[record.endpoint] = old;  // refused already; a new revision is needed
      continue;
    }
    Status refused;
    std::shared_ptr<EndpointState> built;
    if (!policy.ok()) {
      refused = policy.status();
    } else {
      built = Build(record, old, *policy, &refused);
    }
    if (built != nullptr) {
      next[record.endpoint] = std::move(built);
      continue;
    }
    Json refusal = {{"revision", record.revision},
                    {"error", refused.message()},
                    {"code", StatusCodeName(refused.code())},
                    {"at", NowIso8601()}};
    log::Warning("serve: {} revision {} refused: {}", record.endpoint, record.revision,
                 refused.ToString());
    Record(record.endpoint, "refuse", refusal);
    metrics_
        .GetCounter("citadel_model_refusals_total",
                    "Deployment revisions the server refused to load",
                    {{"endpoint", record.endpoint}})
        .Increment();
    // The previous revision keeps serving, now reporting the refusal.
    auto kept =
        old != nullptr ? std::make_shared<EndpointState>(*old) : std::make_shared<EndpointState>();
    kept->endpoint = record.endpoint;
    kept->refusal = std::move(refusal);
    next[record.endpoint] = std::move(kept);
  }
  // Models that no endpoint keeps are unloaded once their last request
  // finished (shared ownership); the event says when they left service.
  std::set<const ServedModel*> kept_models;
  for (const auto& [name, state] : next) {
    for (const auto* m : {&state->primary, &state->canary, &state->shadow}) {
      if (*m != nullptr) kept_models.insert(m->get());
    }
  }
  for (const auto& [name, state] : current) {
    for (const auto* m : {&state->primary, &state->canary, &state->shadow}) {
      if (*m != nullptr && kept_models.insert(m->get()).second) {
        Record(
            name, "unload",
            {{"model", (*m)->model}, {"version", (*m)->version}, {"artifact", (*m)->artifact_id}});
      }
    }
  }
  table_.Replace(std::move(next));
  return Status::Ok();
}

void DeploymentWatcher::RunRollouts() {
  bool changed = false;
  for (const auto& [name, state] : table_.All()) {
    auto decision = JudgeCanary(*state, std::chrono::steady_clock::now());
    if (!decision || decision->action == RolloutDecision::Action::kHold) continue;
    const DeploymentSpec next = ApplyRolloutDecision(state->spec, *decision);
    catalog::DeploymentRecord record;
    record.endpoint = name;
    record.spec = DeploymentSpecToJson(next);
    record.reason = fmt::format("rollout: {} ({} → {} %): {}", ActionName(decision->action),
                                decision->from_weight, decision->to_weight, decision->reason);
    record.created_by = "rollout";
    auto revision = ws_->catalog().PutDeployment(record, state->revision);
    if (!revision.ok()) {
      // Someone deployed meanwhile: their revision wins, judged afresh.
      log::Warning("serve: {}", revision.status().ToString());
      continue;
    }
    Record(name, "rollout",
           {{"action", ActionName(decision->action)},
            {"from_weight", decision->from_weight},
            {"to_weight", decision->to_weight},
            {"reason", decision->reason},
            {"numbers", decision->numbers},
            {"revision", *revision},
            {"canary", state->canary->Label()},
            {"primary", state->primary->Label()}});
    metrics_
        .GetCounter("citadel_rollout_decisions_total", "Canary rollout decisions taken",
                    {{"endpoint", name}, {"action", std::string(ActionName(decision->action))}})
        .Increment();
    log::Info("serve: {} {}", name, record.reason);
    changed = true;
  }
  if (changed) {
    if (Status s = Sync(); !s.ok()) log::Warning("serve: {}", s.ToString());
  }
}

}  // namespace citadel::serve
