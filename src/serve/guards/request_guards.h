// Guards in front of the inference server against abuse and model extraction:
// API tokens (only their hash is stored), per-key token-bucket rate limits,
// per-key rolling budgets of predicted rows, hardened outputs (top-k only,
// rounded probabilities) and request size limits.
//
// Keys are whatever identifies a caller to the server (a token id, a client
// address); the guards never see secrets. Time is passed in as monotonic
// seconds, so tests drive the clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "base/text/spec_reader.h"

namespace citadel::serve {

// --- API tokens -------------------------------------------------------------

// A freshly minted API token. `secret` is shown once (by the CLI that created
// it) and never stored; `id` is safe to list and to log.
struct NewToken {
  std::string secret;  // "cit_" + 43 base64url characters (32 random bytes)
  std::string id;      // the first 12 hex digits of SHA-256(secret)
};

// 32 bytes from OpenSSL's CSPRNG. Aborts if the CSPRNG cannot produce them:
// a weaker token must never be handed out.
NewToken GenerateToken();

// True when `secret` has the shape GenerateToken makes (prefix, length,
// canonical base64url): a cheap rejection before any lookup.
bool IsWellFormedToken(std::string_view secret);

// "sha256:" + 64 hex digits: the form stored in the catalog. A plain SHA-256
// suffices (no slow KDF): the secret has 256 random bits, nothing to guess.
std::string HashToken(std::string_view secret);

// The token id of a secret (what NewToken::id holds).
std::string TokenId(std::string_view secret);

// Compares in time independent of where the inputs differ (lengths are not
// secret). For a server that looks tokens up by HashToken(presented) in a
// table, the lookup itself is safe: the attacker cannot choose hash bytes.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// HashToken(secret) == stored_hash, in constant time.
bool TokenMatchesHash(std::string_view secret, std::string_view stored_hash);

// --- Rate limits ------------------------------------------------------------

// A token bucket per key: `burst` tokens at most, refilled at `per_second`.
// A new key starts with a full bucket. Memory is bounded: past `max_keys`
// keys, the key idle the longest is forgotten (it comes back with a full
// bucket, which it would mostly have refilled anyway — evicting, rather than
// refusing new keys, keeps a flood of new keys from locking out new clients).
//
// Safe for concurrent use from multiple threads without external
// synchronization.
class RateLimiter {
 public:
  static constexpr size_t kDefaultMaxKeys = 100'000;

  // Preconditions: per_second > 0, burst > 0, max_keys > 0.
  RateLimiter(double per_second, double burst, size_t max_keys = kDefaultMaxKeys);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes `cost` tokens (≥ 0) from `key`'s bucket if it holds that many, and
  // says whether it did; a refused request takes nothing. A cost above burst
  // is never allowed. `now_seconds` is monotonic; an earlier time than the
  // key last saw (threads racing to the lock) counts as no time passed.
  bool Allow(std::string_view key, double now_seconds, double cost = 1);

  // Seconds until Allow(key, …, cost) would succeed (0 if now; infinity if
  // cost > burst): the value of an HTTP Retry-After header.
  double RetryAfterSeconds(std::string_view key, double now_seconds, double cost = 1) const;

  // Keys currently remembered (≤ max_keys).
  size_t size() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// --- Query budgets ----------------------------------------------------------

// At most `max_rows` rows predicted per key in a rolling window of
// `window_seconds` (e.g. 10 000 rows per hour): model extraction needs many
// queries, so capping them per identity raises its cost.
//
// The window is kept as kSlots fixed sub-windows per key, so memory per key is
// constant (about half a KiB) and a charge is O(1) amortized. The approximation: a
// charge is forgotten when its sub-window leaves the window, between
// window·(kSlots−1)/kSlots and window seconds after it was made. What is
// guaranteed exactly: a key never gets more than max_rows in any span of
// window·(kSlots−1)/kSlots seconds.
//
// Memory is bounded by `max_keys` like RateLimiter's (evicting a key with
// live usage gives it a fresh budget, so size max_keys above the number of
// identities active in one window). Safe for concurrent use from multiple
// threads without external synchronization.
class QueryBudget {
 public:
  static constexpr int kSlots = 60;
  static constexpr size_t kDefaultMaxKeys = 10'000;

  // Preconditions: max_rows > 0, window_seconds > 0, max_keys > 0.
  QueryBudget(int64_t max_rows, double window_seconds, size_t max_keys = kDefaultMaxKeys);
  ~QueryBudget();
  QueryBudget(const QueryBudget&) = delete;
  QueryBudget& operator=(const QueryBudget&) = delete;

  // Charges `rows` to `key`, all or nothing: ResourceExhausted naming the
  // key, the rows used, the limit, and when enough frees up, if the charge
  // would pass max_rows; InvalidArgument for negative rows. A refused charge costs nothing (the
  // caller answers it without predicting, so it reveals nothing about the model).
  Status Charge(std::string_view key, int64_t rows, double now_seconds);

  // Rows charged to `key` within the window ending at `now_seconds`.
  int64_t Used(std::string_view key, double now_seconds) const;

  size_t size() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// --- Output hardening -------------------------------------------------------

// How much of a classifier's output a deployment reveals. Full probability
// vectors are what extraction and membership-inference attacks feed on;
// returning fewer classes and fewer digits costs honest callers little.
struct OutputHardening {
  int top_k = 0;      // classes returned per row; 0 = all
  int decimals = -1;  // probabilities rounded to this many decimals; -1 = exact

  friend bool operator==(const OutputHardening&, const OutputHardening&) = default;
};

// Reads an `output:` mapping {top_k, decimals}; absent fields keep defaults.
// top_k in [0, 1000000]; decimals in [-1, 6] (a float carries about 7
// significant digits, so rounding at more decimals hides nothing).
Result<OutputHardening> ParseOutputHardening(const SpecReader& output);
Result<OutputHardening> ParseOutputHardening(const Json& output, std::string_view where);

// For a row-major rows×classes probability matrix, per row the kept (class
// index, probability) pairs, by exact probability descending, ties by class
// index (so the first pair is always the model's top-1, even when rounding
// makes it equal to the second). NaN sorts last. Selection and order use the
// exact values; rounding applies to what is returned. Precondition:
// probs.size() == rows × classes (a shorter span yields only its whole rows).
std::vector<std::vector<std::pair<int, float>>> HardenOutputs(std::span<const float> probs,
                                                              int64_t rows, int64_t classes,
                                                              const OutputHardening& hardening);

// --- Request limits ---------------------------------------------------------

struct RequestLimits {
  int64_t max_body_bytes = 8 << 20;
  int64_t max_rows = 4096;

  friend bool operator==(const RequestLimits&, const RequestLimits&) = default;
};

// Reads a `limits:` mapping. max_body_bytes is an integer or a size such as
// "16MiB", in [1 KiB, 1 GiB] (bodies are held in memory); max_rows in
// [1, 1000000].
Result<RequestLimits> ParseRequestLimits(const SpecReader& limits);
Result<RequestLimits> ParseRequestLimits(const Json& limits, std::string_view where);

}  // namespace citadel::serve
