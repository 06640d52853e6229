// What an endpoint serves and how: the deployment spec stored with each
// revision in the catalog (catalog::DeploymentRecord::spec) and written by
// `citadel deploy` from its flags and an optional settings file:
//
//   routes:                              # made by the flags
//     - { model: digits, version: 3, artifact: sha256:…, role: primary, weight: 95 }
//     - { model: digits, version: 4, artifact: sha256:…, role: canary,  weight: 5 }
//     - { model: digits, version: 5, artifact: sha256:…, role: shadow }
//   rollout: { steps: [5, 25, 50, 100], min_requests: 100, max_error_rate: 0.01, … }
//   batching: { max_batch_size: 32, max_queue_delay_ms: 2, max_queue_rows: 4096,
//               threads: 1, instances: 1 }
//   hardening: { top_k: 3, decimals: 2 }  # what a client sees of the probabilities
//   limits: { max_body_bytes: 8388608, max_rows: 4096 }
//   ood: { reject: false }               # reject out-of-distribution rows with 422
//   logging: { sample_rate: 0.05, max_payload_bytes: 65536 }  # sampled request and
//                                        # response bodies to the store; off by default
//
// The artifact id is resolved when deploying, so a revision always names
// exactly the bytes it serves, whatever happens to aliases later.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "base/text/yaml.h"
#include "serve/guards/request_guards.h"
#include "serve/routing/canary_policy.h"

namespace citadel::serve {

enum class RouteRole { kPrimary, kCanary, kShadow };
std::string_view RouteRoleName(RouteRole role);

struct Route {
  std::string model;
  int64_t version = 0;
  std::string artifact_id;
  RouteRole role = RouteRole::kPrimary;
  double weight = 100;  // % of live traffic (primary + canary = 100; shadow 0)
};

struct BatchingOptions {
  int64_t max_batch_size = 64;    // rows per forward pass
  double max_queue_delay_ms = 0;  // how long a partial batch waits for more rows
  int64_t max_queue_rows = 4096;  // queued rows beyond which requests get 429
  int threads = 1;                // intra-op threads of one forward pass
  int instances = 1;              // forward passes of the model run at once
};

// Which exchanges serve/payload_log.h keeps: a random `sample_rate` share
// of requests, each body clipped to `max_payload_bytes` (0 = metadata only).
struct PayloadLogging {
  double sample_rate = 0;  // 0 = off
  int64_t max_payload_bytes = 64 * 1024;
};

struct DeploymentSpec {
  std::vector<Route> routes;
  std::optional<CanaryPolicy> rollout;
  BatchingOptions batching;
  OutputHardening hardening;
  RequestLimits limits;
  bool reject_ood = false;
  PayloadLogging logging;

  const Route* Find(RouteRole role) const;
};

// Reads a spec from `doc` at JSON pointer `pointer` (a settings file, or a
// stored revision wrapped in a YamlDocument): unknown keys, wrong types and
// inconsistent routes (no primary, two canaries, weights not adding up to
// 100, a shadow with weight) are InvalidArgument naming the field.
Result<DeploymentSpec> ParseDeploymentSpec(const YamlDocument& doc, const std::string& pointer);
Result<DeploymentSpec> ParseDeploymentSpec(const Json& stored, std::string_view where);
Json DeploymentSpecToJson(const DeploymentSpec& spec);

// "name:version" → (name, version); InvalidArgument naming `flag` otherwise.
Result<std::pair<std::string, int64_t>> ParseModelVersionRef(std::string_view ref,
                                                             std::string_view flag);

}  // namespace citadel::serve
