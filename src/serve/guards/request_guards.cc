#include "serve/guards/request_guards.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <list>
#include <mutex>
#include <numeric>
#include <optional>
#include <unordered_map>

#include "base/text/base64.h"
#include "base/text/byte_size.h"
#include "base/text/yaml.h"
#include "crypto/sha256.h"

namespace citadel::serve {
namespace {

constexpr std::string_view kTokenPrefix = "cit_";
constexpr size_t kTokenRandomBytes = 32;
constexpr size_t kTokenChars = 43;  // ceil(32 * 8 / 6), unpadded
constexpr size_t kTokenIdHexDigits = 12;
// Refill arithmetic in doubles (0.1 s × 10/s is not exactly 1): a request
// short of its cost by less than this is allowed.
constexpr double kTokenSlack = 1e-9;

int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Keys in messages come from callers: keep them short.
std::string ShownKey(std::string_view key) {
  if (key.size() <= 64) return std::string(key);
  return std::string(key.substr(0, 61)) + "...";
}

// A map from key to V holding at most max_keys entries; inserting past that
// forgets the least recently used key. Not thread-safe (its owners lock).
template <typename V>
class BoundedKeyMap {
 public:
  explicit BoundedKeyMap(size_t max_keys) : max_keys_(std::max<size_t>(1, max_keys)) {}

  const V* Peek(std::string_view key) const {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &it->second->value;
  }

  // The entry for `key`, now the most recently used; created as `fresh` when
  // absent.
  V& Touch(std::string_view key, const V& fresh) {
    if (auto it = index_.find(key); it != index_.end()) {
      order_.splice(order_.begin(), order_, it->second);
      return it->second->value;
    }
    if (index_.size() >= max_keys_) {
      index_.erase(order_.back().key);
      order_.pop_back();
    }
    order_.push_front(Entry{std::string(key), fresh});
    index_.emplace(order_.front().key, order_.begin());
    return order_.front().value;
  }

  size_t size() const { return index_.size(); }

 private:
  struct Entry {
    std::string key;
    V value;
  };
  size_t max_keys_;
  std::list<Entry> order_;  // most recently used first; list nodes never move
  std::unordered_map<std::string_view, typename std::list<Entry>::iterator>
      index_;  // views of order_'s keys
};

}  // namespace

// --- API tokens -------------------------------------------------------------

NewToken GenerateToken() {
  std::array<unsigned char, kTokenRandomBytes> bytes;
  // Fails only when the CSPRNG is not seeded; no fallback is safe.
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) std::abort();
  std::string encoded =
      Base64Encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  OPENSSL_cleanse(bytes.data(), bytes.size());
  NewToken token;
  token.secret.reserve(kTokenPrefix.size() + kTokenChars);
  token.secret = kTokenPrefix;
  for (char c : encoded) {
    if (c == '=') break;
    token.secret += c == '+' ? '-' : c == '/' ? '_' : c;
  }
  OPENSSL_cleanse(encoded.data(), encoded.size());
  token.id = TokenId(token.secret);
  return token;
}

bool IsWellFormedToken(std::string_view secret) {
  if (secret.size() != kTokenPrefix.size() + kTokenChars || !secret.starts_with(kTokenPrefix)) {
    return false;
  }
  std::string_view body = secret.substr(kTokenPrefix.size());
  for (char c : body) {
    if (Base64UrlValue(c) < 0) return false;
  }
  // 43 characters carry 258 bits for 256: the last two must be zero.
  return (Base64UrlValue(body.back()) & 0x3) == 0;
}

std::string HashToken(std::string_view secret) { return crypto::Sha256::Of(secret).Id(); }

std::string TokenId(std::string_view secret) {
  return crypto::Sha256::Of(secret).Hex().substr(0, kTokenIdHexDigits);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool TokenMatchesHash(std::string_view secret, std::string_view stored_hash) {
  return ConstantTimeEquals(HashToken(secret), stored_hash);
}

// --- Rate limits ------------------------------------------------------------

namespace {
struct Bucket {
  double tokens;
  double last_seconds;
};

// Tokens in `b` at `now`, without changing it.
double TokensAt(const Bucket& b, double now, double per_second, double burst) {
  double elapsed = now > b.last_seconds ? now - b.last_seconds : 0;
  return std::min(burst, b.tokens + elapsed * per_second);
}
}  // namespace

struct RateLimiter::State {
  State(double per_second, double burst, size_t max_keys)
      : per_second(per_second), burst(burst), buckets(max_keys) {}
  const double per_second;
  const double burst;
  mutable std::mutex mu;
  BoundedKeyMap<Bucket> buckets;  // guarded by mu
};

RateLimiter::RateLimiter(double per_second, double burst, size_t max_keys)
    : state_(std::make_unique<State>(per_second, burst, max_keys)) {}

RateLimiter::~RateLimiter() = default;

bool RateLimiter::Allow(std::string_view key, double now_seconds, double cost) {
  State& s = *state_;
  std::lock_guard lock(s.mu);
  Bucket& b = s.buckets.Touch(key, Bucket{s.burst, now_seconds});
  b.tokens = TokensAt(b, now_seconds, s.per_second, s.burst);
  b.last_seconds = std::max(b.last_seconds, now_seconds);
  if (b.tokens + kTokenSlack < cost) return false;
  b.tokens = std::max(0.0, b.tokens - cost);
  return true;
}

double RateLimiter::RetryAfterSeconds(std::string_view key, double now_seconds, double cost) const {
  const State& s = *state_;
  if (cost > s.burst + kTokenSlack) return std::numeric_limits<double>::infinity();
  std::lock_guard lock(s.mu);
  const Bucket* b = s.buckets.Peek(key);
  if (b == nullptr) return 0;
  double tokens = TokensAt(*b, now_seconds, s.per_second, s.burst);
  if (tokens + kTokenSlack >= cost) return 0;
  return (cost - tokens) / s.per_second;
}

size_t RateLimiter::size() const {
  std::lock_guard lock(state_->mu);
  return state_->buckets.size();
}

// --- Query budgets ----------------------------------------------------------

namespace {
constexpr int kSlots = QueryBudget::kSlots;

struct Usage {
  std::array<int64_t, kSlots> rows{};  // rows charged in slot t live at rows[t mod kSlots]
  int64_t last_slot = 0;               // the newest slot seen
  int64_t total = 0;                   // sum of rows
};

size_t SlotIndex(int64_t slot) { return static_cast<size_t>(((slot % kSlots) + kSlots) % kSlots); }

// Rows of `u` that have left the window by `slot` (nothing when time went
// backwards: a racing thread's earlier clock reading charges the newest slot).
int64_t Expired(const Usage& u, int64_t slot) {
  if (slot <= u.last_slot) return 0;
  if (slot - u.last_slot >= kSlots) return u.total;
  int64_t expired = 0;
  for (int64_t t = u.last_slot + 1; t <= slot; ++t) expired += u.rows[SlotIndex(t)];
  return expired;
}

void Advance(Usage& u, int64_t slot) {
  if (slot <= u.last_slot) return;
  if (slot - u.last_slot >= kSlots) {
    u.rows.fill(0);
    u.total = 0;
  } else {
    for (int64_t t = u.last_slot + 1; t <= slot; ++t) {
      u.total -= u.rows[SlotIndex(t)];
      u.rows[SlotIndex(t)] = 0;
    }
  }
  u.last_slot = slot;
}
}  // namespace

struct QueryBudget::State {
  State(int64_t max_rows, double window_seconds, size_t max_keys)
      : max_rows(max_rows),
        window_seconds(window_seconds),
        slot_seconds(window_seconds / kSlots),
        usage(max_keys) {}

  int64_t SlotOf(double now) const {
    double slot = std::floor(now / slot_seconds);
    // Guards the conversion; monotonic clocks never get near these bounds.
    if (!(slot > -9e18)) return std::numeric_limits<int64_t>::min() / 2;
    if (slot > 9e18) return std::numeric_limits<int64_t>::max() / 2;
    return static_cast<int64_t>(slot);
  }

  const int64_t max_rows;
  const double window_seconds;
  const double slot_seconds;
  mutable std::mutex mu;
  BoundedKeyMap<Usage> usage;  // guarded by mu
};

QueryBudget::QueryBudget(int64_t max_rows, double window_seconds, size_t max_keys)
    : state_(std::make_unique<State>(max_rows, window_seconds, max_keys)) {}

QueryBudget::~QueryBudget() = default;

Status QueryBudget::Charge(std::string_view key, int64_t rows, double now_seconds) {
  State& s = *state_;
  if (rows < 0) {
    return InvalidArgumentError(
        fmt::format("query budget for '{}': cannot charge {} rows", ShownKey(key), rows));
  }
  if (rows > s.max_rows) {
    return ResourceExhaustedError(fmt::format(
        "query budget for '{}': a request of {} rows exceeds the whole budget of {} rows per {} "
        "s; send fewer rows per request",
        ShownKey(key), rows, s.max_rows, s.window_seconds));
  }
  int64_t slot = s.SlotOf(now_seconds);
  std::lock_guard lock(s.mu);
  Usage fresh;
  fresh.last_slot = slot;
  Usage& u = s.usage.Touch(key, fresh);
  Advance(u, slot);
  if (u.total + rows <= s.max_rows) {
    u.rows[SlotIndex(u.last_slot)] += rows;
    u.total += rows;
    return Status::Ok();
  }
  // The oldest slots expire first; find the one whose expiry frees enough.
  int64_t need = u.total + rows - s.max_rows;
  int64_t freed = 0;
  double retry_after = s.window_seconds;
  for (int64_t t = u.last_slot - kSlots + 1; t <= u.last_slot; ++t) {
    freed += u.rows[SlotIndex(t)];
    if (freed >= need) {
      retry_after = std::max(0.0, static_cast<double>(t + kSlots) * s.slot_seconds - now_seconds);
      break;
    }
  }
  return ResourceExhaustedError(fmt::format(
      "query budget exhausted for '{}': {} of {} rows used in the last {} s and this request "
      "asks for {}; enough frees up in {:.0f} s",
      ShownKey(key), u.total, s.max_rows, s.window_seconds, rows, std::ceil(retry_after)));
}

int64_t QueryBudget::Used(std::string_view key, double now_seconds) const {
  const State& s = *state_;
  int64_t slot = s.SlotOf(now_seconds);
  std::lock_guard lock(s.mu);
  const Usage* u = s.usage.Peek(key);
  return u == nullptr ? 0 : u->total - Expired(*u, slot);
}

size_t QueryBudget::size() const {
  std::lock_guard lock(state_->mu);
  return state_->usage.size();
}

// --- Output hardening -------------------------------------------------------

Result<OutputHardening> ParseOutputHardening(const SpecReader& output) {
  RETURN_IF_ERROR(output.ExpectObject({"top_k", "decimals"}));
  OutputHardening h;
  ASSIGN_OR_RETURN(int64_t top_k, output.Int("top_k", 0, 1'000'000, h.top_k));
  ASSIGN_OR_RETURN(int64_t decimals, output.Int("decimals", -1, 6, h.decimals));
  h.top_k = static_cast<int>(top_k);
  h.decimals = static_cast<int>(decimals);
  return h;
}

Result<OutputHardening> ParseOutputHardening(const Json& output, std::string_view where) {
  YamlDocument doc;
  doc.source = std::string(where);
  doc.root = output;
  return ParseOutputHardening(SpecReader(doc, ""));
}

std::vector<std::vector<std::pair<int, float>>> HardenOutputs(std::span<const float> probs,
                                                              int64_t rows, int64_t classes,
                                                              const OutputHardening& hardening) {
  std::vector<std::vector<std::pair<int, float>>> out;
  if (rows <= 0) return out;
  if (classes <= 0) {
    out.resize(static_cast<size_t>(rows));
    return out;
  }
  rows = std::min<int64_t>(rows, static_cast<int64_t>(probs.size()) / classes);
  int64_t keep = hardening.top_k <= 0 ? classes : std::min<int64_t>(hardening.top_k, classes);
  double scale = hardening.decimals >= 0 ? std::pow(10.0, hardening.decimals) : 0;
  auto shown = [&](float p) {
    if (hardening.decimals < 0 || !std::isfinite(p)) return p;
    // + 0.0 turns a rounded -0 (from a tiny negative) into 0.
    return static_cast<float>(std::round(static_cast<double>(p) * scale) / scale + 0.0);
  };

  out.reserve(static_cast<size_t>(rows));
  std::vector<int> order(static_cast<size_t>(classes));
  for (int64_t r = 0; r < rows; ++r) {
    std::span<const float> row =
        probs.subspan(static_cast<size_t>(r * classes), static_cast<size_t>(classes));
    // A strict weak order even with NaN (which compares false with
    // everything and would otherwise break the sort).
    auto before = [&](int a, int b) {
      float pa = row[a], pb = row[b];
      bool na = std::isnan(pa), nb = std::isnan(pb);
      if (na != nb) return nb;
      if (!na && pa != pb) return pa > pb;
      return a < b;
    };
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + keep, order.end(), before);
    std::vector<std::pair<int, float>> kept;
    kept.reserve(static_cast<size_t>(keep));
    for (int64_t i = 0; i < keep; ++i) kept.emplace_back(order[i], shown(row[order[i]]));
    out.push_back(std::move(kept));
  }
  return out;
}

// --- Request limits ---------------------------------------------------------

Result<RequestLimits> ParseRequestLimits(const SpecReader& limits) {
  constexpr int64_t kMinBody = 1 << 10, kMaxBody = 1 << 30;
  RETURN_IF_ERROR(limits.ExpectObject({"max_body_bytes", "max_rows"}));
  RequestLimits l;
  if (limits.Has("max_body_bytes")) {
    const Json& v = limits.json()["max_body_bytes"];
    std::optional<int64_t> bytes;
    if (v.is_number_integer()) {
      bytes = v.get<int64_t>();
    } else if (v.is_string()) {
      if (auto parsed = ParseByteSize(v.get<std::string>()); parsed && *parsed <= kMaxBody) {
        bytes = static_cast<int64_t>(*parsed);
      }
    }
    if (!bytes || *bytes < kMinBody || *bytes > kMaxBody) {
      return limits.FieldError(
          "max_body_bytes",
          fmt::format("expected a size from 1 KiB to 1 GiB (bytes, or a string such as '16MiB'), "
                      "got '{}'",
                      v.is_string() ? v.get<std::string>() : v.dump()));
    }
    l.max_body_bytes = *bytes;
  }
  ASSIGN_OR_RETURN(l.max_rows, limits.Int("max_rows", 1, 1'000'000, l.max_rows));
  return l;
}

Result<RequestLimits> ParseRequestLimits(const Json& limits, std::string_view where) {
  YamlDocument doc;
  doc.source = std::string(where);
  doc.root = limits;
  return ParseRequestLimits(SpecReader(doc, ""));
}

}  // namespace citadel::serve
