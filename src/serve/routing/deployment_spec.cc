#include "serve/routing/deployment_spec.h"

#include <fmt/format.h>

#include <charconv>

#include "base/text/spec_reader.h"

namespace citadel::serve {
namespace {

Result<RouteRole> ParseRole(const std::string& name, const SpecReader& at) {
  if (name == "primary") return RouteRole::kPrimary;
  if (name == "canary") return RouteRole::kCanary;
  if (name == "shadow") return RouteRole::kShadow;
  return at.FieldError("role", fmt::format("'{}' is not a role: primary, canary or shadow", name));
}

Result<std::vector<Route>> ParseRoutes(const SpecReader& list) {
  if (!list.json().is_array() || list.Size() == 0) {
    return list.Error("routes must be a non-empty list");
  }
  std::vector<Route> routes;
  int counts[3] = {0, 0, 0};
  double live_weight = 0;
  for (size_t i = 0; i < list.Size(); ++i) {
    SpecReader r = list.Element(i);
    RETURN_IF_ERROR(r.ExpectObject({"model", "version", "artifact", "role", "weight"}));
    Route route;
    ASSIGN_OR_RETURN(route.model, r.String("model"));
    ASSIGN_OR_RETURN(route.version, r.Int("version", 1, INT64_MAX));
    ASSIGN_OR_RETURN(route.artifact_id, r.String("artifact"));
    ASSIGN_OR_RETURN(std::string role, r.String("role"));
    ASSIGN_OR_RETURN(route.role, ParseRole(role, r));
    const double default_weight = route.role == RouteRole::kShadow ? 0 : 100;
    ASSIGN_OR_RETURN(route.weight, r.Number("weight", 0, 100, default_weight));
    if (route.role == RouteRole::kShadow && route.weight != 0) {
      return r.FieldError("weight",
                          "a shadow gets a copy of the traffic, not a share: drop weight");
    }
    if (++counts[static_cast<int>(route.role)] > 1) {
      return r.FieldError("role", fmt::format("a second {} route; an endpoint has at most one",
                                              RouteRoleName(route.role)));
    }
    if (route.role != RouteRole::kShadow) live_weight += route.weight;
    routes.push_back(std::move(route));
  }
  if (counts[0] == 0) return list.Error("routes have no primary");
  if (std::abs(live_weight - 100) > 1e-9) {
    return list.Error(
        fmt::format("the primary's and canary's weights add up to {}, not 100", live_weight));
  }
  return routes;
}

}  // namespace

std::string_view RouteRoleName(RouteRole role) {
  switch (role) {
    case RouteRole::kPrimary:
      return "primary";
    case RouteRole::kCanary:
      return "canary";
    case RouteRole::kShadow:
      return "shadow";
  }
  return "?";
}

const Route* DeploymentSpec::Find(RouteRole role) const {
  for (const Route& r : routes) {
    if (r.role == role) return &r;
  }
  return nullptr;
}

Result<DeploymentSpec> ParseDeploymentSpec(const YamlDocument& doc, const std::string& pointer) {
  SpecReader s(doc, pointer);
  RETURN_IF_ERROR(
      s.ExpectObject({"routes", "rollout", "batching", "hardening", "limits", "ood", "logging"}));
  DeploymentSpec spec;
  if (!s.Has("routes")) return s.Error("routes are missing");
  ASSIGN_OR_RETURN(spec.routes, ParseRoutes(s.Child("routes")));
  if (s.Has("rollout")) {
    ASSIGN_OR_RETURN(spec.rollout, ParseCanaryPolicy(s.Child("rollout")));
    if (spec.Find(RouteRole::kCanary) == nullptr) {
      return s.FieldError("rollout", "a rollout needs a canary route (deploy with --canary)");
    }
  }
  if (s.Has("batching")) {
    SpecReader b = s.Child("batching");
    RETURN_IF_ERROR(b.ExpectObject(
        {"max_batch_size", "max_queue_delay_ms", "max_queue_rows", "threads", "instances"}));
    ASSIGN_OR_RETURN(spec.batching.max_batch_size, b.Int("max_batch_size", 1, 65536, 64));
    ASSIGN_OR_RETURN(spec.batching.max_queue_delay_ms, b.Number("max_queue_delay_ms", 0, 10000, 0));
    ASSIGN_OR_RETURN(spec.batching.max_queue_rows, b.Int("max_queue_rows", 1, 1 << 24, 4096));
    ASSIGN_OR_RETURN(int64_t threads, b.Int("threads", 1, 256, 1));
    spec.batching.threads = static_cast<int>(threads);
    ASSIGN_OR_RETURN(int64_t instances, b.Int("instances", 1, 64, 1));
    spec.batching.instances = static_cast<int>(instances);
  }
  if (s.Has("hardening")) {
    ASSIGN_OR_RETURN(spec.hardening, ParseOutputHardening(s.Child("hardening")));
  }
  if (s.Has("limits")) {
    ASSIGN_OR_RETURN(spec.limits, ParseRequestLimits(s.Child("limits")));
  }
  if (s.Has("ood")) {
    SpecReader o = s.Child("ood");
    RETURN_IF_ERROR(o.ExpectObject({"reject"}));
    ASSIGN_OR_RETURN(spec.reject_ood, o.Bool("reject", false));
  }
  if (s.Has("logging")) {
    SpecReader l = s.Child("logging");
    RETURN_IF_ERROR(l.ExpectObject({"sample_rate", "max_payload_bytes"}));
    ASSIGN_OR_RETURN(spec.logging.sample_rate, l.Number("sample_rate", 0, 1, 0));
    ASSIGN_OR_RETURN(spec.logging.max_payload_bytes,
                     l.Int("max_payload_bytes", 0, 16 << 20, 64 * 1024));
  }
  return spec;
}

Result<DeploymentSpec> ParseDeploymentSpec(const Json& stored, std::string_view where) {
  YamlDocument doc;
  doc.source = std::string(where);
  doc.root = stored;
  return ParseDeploymentSpec(doc, "");
}

Json DeploymentSpecToJson(const DeploymentSpec& spec) {
  Json routes = Json::array();
  for (const Route& r : spec.routes) {
    Json j = {{"model", r.model},
              {"version", r.version},
              {"artifact", r.artifact_id},
              {"role", RouteRoleName(r.role)}};
    if (r.role != RouteRole::kShadow) j["weight"] = r.weight;
    routes.push_back(std::move(j));
  }
  Json out = {
      {"routes", routes},
      {"batching",
       {{"max_batch_size", spec.batching.max_batch_size},
        {"max_queue_delay_ms", spec.batching.max_queue_delay_ms},
        {"max_queue_rows", spec.batching.max_queue_rows},
        {"threads", spec.batching.threads},
        {"instances", spec.batching.instances}}},
      {"hardening", {{"top_k", spec.hardening.top_k}, {"decimals", spec.hardening.decimals}}},
      {"limits",
       {{"max_body_bytes", spec.limits.max_body_bytes}, {"max_rows", spec.limits.max_rows}}},
      {"ood", {{"reject", spec.reject_ood}}},
      {"logging",
       {{"sample_rate", spec.logging.sample_rate},
        {"max_payload_bytes", spec.logging.max_payload_bytes}}}};
  if (spec.rollout) out["rollout"] = CanaryPolicyToJson(*spec.rollout);
  return out;
}

Result<std::pair<std::string, int64_t>> ParseModelVersionRef(std::string_view ref,
                                                             std::string_view flag) {
  const size_t colon = ref.rfind(':');
  int64_t version = 0;
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgumentError(
        fmt::format("{} '{}': expected NAME:VERSION, e.g. digits:3", flag, ref));
  }
  std::string_view digits = ref.substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
  if (ec != std::errc() || end != digits.data() + digits.size() || version < 1) {
    return InvalidArgumentError(fmt::format(
        "{} '{}': the version '{}' is not a positive integer (NAME:VERSION)", flag, ref, digits));
  }
  return std::make_pair(std::string(ref.substr(0, colon)), version);
}

}  // namespace citadel::serve
