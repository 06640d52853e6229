#include "serve/routing/endpoint_state.h"

#include <random>

#include "crypto/sha256.h"

namespace citadel::serve {

StatsSnapshot StatsSnapshot::Take(const VersionStats& s) {
  StatsSnapshot out;
  out.requests = s.requests.load(std::memory_order_relaxed);
  out.errors = s.errors.load(std::memory_order_relaxed);
  out.compared = s.compared.load(std::memory_order_relaxed);
  out.disagreements = s.disagreements.load(std::memory_order_relaxed);
  out.ood_flags = s.ood_flags.load(std::memory_order_relaxed);
  if (s.latency != nullptr) out.latency = s.latency->Take();
  return out;
}

StatsSnapshot StatsSnapshot::Minus(const StatsSnapshot& e) const {
  StatsSnapshot out;
  out.requests = requests - e.requests;
  out.errors = errors - e.errors;
  out.compared = compared - e.compared;
  out.disagreements = disagreements - e.disagreements;
  out.ood_flags = ood_flags - e.ood_flags;
  out.latency = e.latency.counts.empty() ? latency : latency.Minus(e.latency);
  return out;
}

const std::shared_ptr<ServedModel>& EndpointState::Choose(std::string_view client_key) const {
  if (canary == nullptr) return primary;
  const Route* route = spec.Find(RouteRole::kCanary);
  const double weight = route != nullptr ? route->weight : 0;
  double point;  // uniform in [0, 100)
  if (!client_key.empty()) {
    // The first 8 bytes of a hash: the same key lands on the same side for
    // as long as the weight is unchanged, and keys spread evenly.
    const auto digest = crypto::Sha256::Of(client_key);
    uint64_t h = 0;
    for (int i = 0; i < 8; ++i) h = (h << 8) | digest.bytes[static_cast<size_t>(i)];
    point = static_cast<double>(h >> 11) * 0x1.0p-53 * 100;
  } else {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    point = std::uniform_real_distribution<double>(0, 100)(rng);
  }
  return point < weight ? canary : primary;
}

std::shared_ptr<ServedModel> EndpointState::Version(int64_t version) const {
  for (const auto* m : {&primary, &canary, &shadow}) {
    if (*m != nullptr && (*m)->version == version) return *m;
  }
  return nullptr;
}

}  // namespace citadel::serve
