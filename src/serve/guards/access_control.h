// Who may call the server and how much: bearer tokens made by `citadel
// tokens create` (only their hashes are stored, in the catalog), a rate
// limit per token (token bucket) and a query budget per token — rows
// predicted in a rolling window, the defence against model extraction,
// which needs many more queries than any honest client.
//
// Thread-safe: the control loop swaps the token table while request threads
// authenticate.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "catalog/records.h"
#include "serve/guards/request_guards.h"

namespace citadel::serve {

// Limits for tokens that set none of their own (`citadel serve` flags);
// 0 = unlimited.
struct GuardDefaults {
  double rate_per_second = 0;
  double burst = 0;  // 0 = one second's worth
  int64_t budget_rows = 0;
  double budget_window_seconds = 3600;
};

struct Caller {
  std::string token_id;  // "anonymous" when auth is off
  std::string token_name;
};

class AccessControl {
 public:
  AccessControl(bool auth_required, GuardDefaults defaults);

  // Replaces the live tokens (revoked ones are left out). InvalidArgument
  // naming the token when its stored limits are malformed; the others are
  // still installed.
  Status SetTokens(const std::vector<catalog::TokenRecord>& tokens);

  // From the Authorization header: Unauthenticated when auth is on and it
  // is missing, not "Bearer …", or not a live token.
  Result<Caller> Authenticate(std::string_view authorization) const;
  // ResourceExhausted when the caller is over its request rate.
  Status Admit(const Caller& caller, double now_seconds);
  // ResourceExhausted when `rows` more would exceed the caller's budget.
  Status Charge(const Caller& caller, int64_t rows, double now_seconds);

  bool auth_required() const { return auth_required_; }

 private:
  struct Limits {
    double rate_per_second = 0, burst = 0;
    int64_t budget_rows = 0;
    double budget_window_seconds = 3600;
  };
  // One limiter and budget per token, kept across SetTokens so that a
  // catalog change (any deploy) does not hand every caller a fresh budget.
  struct Guards {
    Limits limits;
    std::unique_ptr<RateLimiter> rate;
    std::unique_ptr<QueryBudget> budget;
  };
  Guards& GuardsFor(const std::string& token_id);

  const bool auth_required_;
  const GuardDefaults defaults_;
  mutable std::mutex mu_;
  std::map<std::string, Caller> by_hash_;  // "sha256:…" → caller
  std::map<std::string, Limits> limits_;   // token id → limits
  std::map<std::string, Guards> guards_;   // token id → live guards
};

}  // namespace citadel::serve
