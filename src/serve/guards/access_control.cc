#include "serve/guards/access_control.h"

#include <fmt/format.h>

namespace citadel::serve {
namespace {

Result<double> NonNegative(const Json& limits, std::string_view key, double fallback,
                           const std::string& token) {
  if (!limits.contains(key)) return fallback;
  const Json& v = limits[std::string(key)];
  if (!v.is_number() || v.get<double>() < 0) {
    return InvalidArgumentError(
        fmt::format("token {}: limits.{} must be a number ≥ 0, got {}", token, key, v.dump()));
  }
  return v.get<double>();
}

}  // namespace

AccessControl::AccessControl(bool auth_required, GuardDefaults defaults)
    : auth_required_(auth_required), defaults_(defaults) {}

Status AccessControl::SetTokens(const std::vector<catalog::TokenRecord>& tokens) {
  std::map<std::string, Caller> by_hash;
  std::map<std::string, Limits> limits;
  Status first_error;
  for (const catalog::TokenRecord& t : tokens) {
    if (t.revoked_at.has_value()) continue;
    Limits l;
    auto read = [&]() -> Status {
      ASSIGN_OR_RETURN(l.rate_per_second,
                       NonNegative(t.limits, "rate_per_second", defaults_.rate_per_second, t.name));
      ASSIGN_OR_RETURN(l.burst, NonNegative(t.limits, "burst", defaults_.burst, t.name));
      ASSIGN_OR_RETURN(
          double rows,
          NonNegative(t.limits, "budget_rows", static_cast<double>(defaults_.budget_rows), t.name));
      l.budget_rows = static_cast<int64_t>(rows);
      ASSIGN_OR_RETURN(
          l.budget_window_seconds,
          NonNegative(t.limits, "budget_window_seconds", defaults_.budget_window_seconds, t.name));
      return Status::Ok();
    };
    if (Status s = read(); !s.ok()) {
      // A token with unreadable limits is not installed: failing closed.
      if (first_error.ok()) first_error = s;
      continue;
    }
    by_hash[t.hash] = Caller{t.id, t.name};
    limits[t.id] = l;
  }
  std::lock_guard lock(mu_);
  by_hash_ = std::move(by_hash);
  limits_ = std::move(limits);
  return first_error;
}

Result<Caller> AccessControl::Authenticate(std::string_view authorization) const {
  if (!auth_required_) return Caller{"anonymous", "anonymous"};
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.empty()) {
    return UnauthenticatedError(
        "missing Authorization header: send 'Authorization: Bearer TOKEN' (`citadel tokens "
        "create NAME` makes one)");
  }
  if (authorization.substr(0, kBearer.size()) != kBearer) {
    return UnauthenticatedError("the Authorization header is not 'Bearer TOKEN'");
  }
  const std::string hash = HashToken(authorization.substr(kBearer.size()));
  std::lock_guard lock(mu_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) {
    return UnauthenticatedError("unknown or revoked token");
  }
  return it->second;
}

AccessControl::Guards& AccessControl::GuardsFor(const std::string& token_id) {
  Limits l;
  if (auto it = limits_.find(token_id); it != limits_.end()) {
    l = it->second;
  } else {
    l = Limits{defaults_.rate_per_second, defaults_.burst, defaults_.budget_rows,
               defaults_.budget_window_seconds};
  }
  Guards& g = guards_[token_id];
  const bool changed = g.limits.rate_per_second != l.rate_per_second || g.limits.burst != l.burst ||
                       g.limits.budget_rows != l.budget_rows ||
                       g.limits.budget_window_seconds != l.budget_window_seconds;
  if (changed || (l.rate_per_second > 0 && !g.rate) || (l.budget_rows > 0 && !g.budget)) {
    g.limits = l;
    g.rate = l.rate_per_second > 0
                 ? std::make_unique<RateLimiter>(
                       l.rate_per_second, l.burst > 0 ? l.burst : std::max(1.0, l.rate_per_second))
                 : nullptr;
    g.budget = l.budget_rows > 0
                   ? std::make_unique<QueryBudget>(l.budget_rows, l.budget_window_seconds)
                   : nullptr;
  }
  return g;
}

Status AccessControl::Admit(const Caller& caller, double now) {
  std::lock_guard lock(mu_);
  Guards& g = GuardsFor(caller.token_id);
  if (g.rate && !g.rate->Allow(caller.token_id, now)) {
    return ResourceExhaustedError(
        fmt::format("token '{}' is over its rate limit of {} requests/s; slow down",
                    caller.token_name, g.limits.rate_per_second));
  }
  return Status::Ok();
}

Status AccessControl::Charge(const Caller& caller, int64_t rows, double now) {
  std::lock_guard lock(mu_);
  Guards& g = GuardsFor(caller.token_id);
  if (!g.budget) return Status::Ok();
  Status s = g.budget->Charge(caller.token_id, rows, now);
  if (!s.ok()) return s.WithContext(fmt::format("token '{}'", caller.token_name));
  return s;
}

}  // namespace citadel::serve
