// One model version loaded for serving: the verified artifact, its network,
// the fitted preprocessing that turns raw request columns into features, a
// batcher, and what the server tells clients about it (what is actually
// running is always visible: artifact id, signer, checks passed).
//
// Immutable once loaded and shared by pointer: a request holds the model it
// started with, so a hot swap never pulls a model out from under it; the
// last request to finish releases it ("unloaded once drained").
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "base/text/json.h"
#include "data/prep/feature_pipeline.h"
#include "ml/inference_session.h"
#include "ml/ood_detector.h"
#include "serve/dynamic_batcher.h"
#include "serve/routing/deployment_spec.h"
#include "workload/trust_policy.h"
#include "workload/workspace.h"

namespace citadel::serve {

class MetricsRegistry;
class Histogram;
class Counter;

// Counters of one version's traffic, read by the rollout controller.
struct VersionStats {
  std::atomic<int64_t> requests{0};
  std::atomic<int64_t> errors{0};  // 5xx: the model failed, not the client
  std::atomic<int64_t> compared{0};
  std::atomic<int64_t> disagreements{0};
  std::atomic<int64_t> ood_flags{0};
  // Owned by the metrics registry; looked up once at load, not per request.
  Histogram* latency = nullptr;  // seconds
  Counter* answered = nullptr;
  Counter* rows = nullptr;
  Counter* failed = nullptr;
  Counter* ood_rows = nullptr;
  Histogram* screened_rows = nullptr;  // rows per detector call
  Counter* compared_rows = nullptr;
  Counter* disagreeing_rows = nullptr;
};

struct ServedModel {
  std::string endpoint;
  std::string model;
  int64_t version = 0;
  std::string artifact_id;
  std::string key;  // endpoint/artifact/batching: what makes two loads the same
  std::unique_ptr<ml::InferenceSession> session;
  // Raw columns → features; absent for a model without recorded raw inputs.
  std::optional<data::FeaturePipeline> raw_pipeline;
  Json raw_inputs = Json::array();  // [{name, type}] a client may send, label excluded
  // Values per row of the batcher's answers: the classes' probabilities,
  // then, for a detector in the penultimate space, the activations it
  // scores (the same forward pass's).
  int64_t classes = 0;
  int64_t row_width = 0;
  Json verification;  // {digest, checks, signer, policy, verified_at}
  std::string loaded_at;
  VersionStats stats;
  // Declared last: destroyed first, while the session it calls still exists.
  std::unique_ptr<DynamicBatcher> batcher;

  std::string Label() const { return model + ":" + std::to_string(version); }
  // The session's detector; null when the model has none (its rows are
  // never flagged).
  const ml::OodDetector* ood() const { return session->ood_detector(); }
};

// Splits a penultimate-space model's batcher answer for `rows` rows: the
// probabilities stay in `out` (rows × classes), the activations are
// appended to `activations` (rows × the detector's dims), or dropped when it
// is null. Leaves any other model's answer as it is.
void SplitAnswer(const ServedModel& model, std::vector<float>& out, int64_t rows,
                 std::vector<float>* activations);

// Loads `route` for `endpoint` after enforcing the trust policy; every byte
// read is checked against its digest. FailedPrecondition (the policy's
// refusal, naming the check), DataLoss (a tampered or missing blob) or
// InvalidArgument (not a servable model) otherwise.
Result<std::shared_ptr<ServedModel>> LoadServedModel(
    workload::Workspace& ws, const workload::TrustPolicy& policy, const std::string& endpoint,
    const Route& route, const BatchingOptions& batching, MetricsRegistry& metrics);

// The key LoadServedModel would give: a model already loaded under it is
// reused by the next revision instead of being loaded again.
std::string ServedModelKey(const std::string& endpoint, const Route& route,
                           const BatchingOptions& batching);

}  // namespace citadel::serve
