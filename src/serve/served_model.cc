#include "serve/served_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "base/time.h"
#include "data/prep/dataset_export.h"
#include "serve/prometheus_metrics.h"
#include "workload/artifact_access.h"
#include "workload/artifact_signing.h"

namespace citadel::serve {
namespace {

// model.json keeps the training dataset's raw input columns and fitted
// preprocessing; FeaturePipeline reads them as a dataset schema.
Status AttachRawPipeline(workload::Workspace& ws, ServedModel& m) {
  const Json& mj = m.session->model_json();
  if (!mj.contains("raw_input") || !mj["raw_input"].is_object()) return Status::Ok();
  const Json& raw = mj["raw_input"];
  Json schema = {{"format", data::kDatasetFormat},
                 {"features", m.session->feature_names()},
                 {"label", {{"name", mj["output"].value("label", "")}}},
                 {"input", raw},
                 {"preprocessing", mj.value("preprocessing", Json::array())}};
  data::TransformEnv env;
  // Keyed hashing of PII columns needs the workspace's key, as in training.
  bool hashes = false;
  for (const Json& t : schema["preprocessing"]) hashes |= t.value("op", "") == "hash";
  if (hashes) {
    ASSIGN_OR_RETURN(env.pii_hmac_key, ws.PiiHmacKey());
  }
  ASSIGN_OR_RETURN(data::FeaturePipeline p,
                   data::FeaturePipeline::FromSchema(schema, env, m.artifact_id));
  const std::string label = schema["label"]["name"].get<std::string>();
  for (const Json& c : raw.value("columns", Json::array())) {
    if (c.value("name", "") != label) m.raw_inputs.push_back(c);
  }
  m.raw_pipeline = std::move(p);
  return Status::Ok();
}

// What passed, for GET /v2/models/{m}: the digest check every read makes,
// the policy's checks (all of which passed, or we would not be here) and
// the signer of the newest signature that verifies, if any.
Json Verification(workload::Workspace& ws, const workload::LoadedArtifact& artifact,
                  const workload::TrustPolicy& policy) {
  Json checks = Json::array({"digest"});
  if (auto it = policy.require.find("model"); it != policy.require.end()) {
    for (const std::string& c : it->second) checks.push_back(c);
  }
  Json v = {{"result", "verified"},
            {"checks", checks},
            {"policy", (ws.root() / workload::kTrustPolicyFile).string()},
            {"verified_at", NowIso8601()}};
  auto signed_by = workload::VerifyArtifact(ws, artifact, policy.anchors);
  if (!signed_by.ok() && policy.anchors.keys.empty() && policy.anchors.roots.empty()) {
    // No anchors configured: the workspace's own key is the natural one.
    if (auto key = ws.SigningKey(); key.ok()) {
      provenance::TrustAnchors own;
      own.keys.push_back(key->Public());
      signed_by = workload::VerifyArtifact(ws, artifact, own);
    }
  }
  v["signer"] = signed_by.ok() ? Json(signed_by->signer) : Json(nullptr);
  return v;
}

// Powers of two up to the largest batch a deployment may ask for.
std::span<const double> BatchSizeBuckets() {
  static const std::vector<double> buckets = [] {
    std::vector<double> b;
    for (double v = 1; v <= 65536; v *= 2) b.push_back(v);
    return b;
  }();
  return buckets;
}

}  // namespace

std::string ServedModelKey(const std::string& endpoint, const Route& route,
                           const BatchingOptions& b) {
  return fmt::format("{}/{}/{}:{}:{}:{}:{}", endpoint, route.artifact_id, b.max_batch_size,
                     b.max_queue_delay_ms, b.max_queue_rows, b.threads, b.instances);
}

Result<std::shared_ptr<ServedModel>> LoadServedModel(
    workload::Workspace& ws, const workload::TrustPolicy& policy, const std::string& endpoint,
    const Route& route, const BatchingOptions& batching, MetricsRegistry& metrics) {
  const std::string what =
      fmt::format("model {}:{} ({})", route.model, route.version, route.artifact_id);
  auto loaded = workload::LoadArtifact(ws, route.artifact_id);
  if (!loaded.ok()) return loaded.status().WithContext(what);
  workload::LoadedArtifact artifact = std::move(*loaded);
  if (artifact.record.kind != "model") {
    return InvalidArgumentError(
        fmt::format("{} is a {} artifact, not a model", what, artifact.record.kind));
  }
  // Policy first, then every byte verified on read: a refused or tampered
  // model never reaches the loader.
  RETURN_IF_ERROR(workload::EnforceTrustPolicy(ws, artifact, policy));
  ASSIGN_OR_RETURN(ml::ModelFiles files, workload::LoadModelFiles(ws, artifact));

  auto m = std::make_shared<ServedModel>();
  m->endpoint = endpoint;
  m->model = route.model;
  m->version = route.version;
  m->artifact_id = route.artifact_id;
  m->key = ServedModelKey(endpoint, route, batching);
  ASSIGN_OR_RETURN(m->session, ml::InferenceSession::Load(files, route.artifact_id));
  m->session->SetIntraOpThreads(batching.threads);
  RETURN_IF_ERROR(AttachRawPipeline(ws, *m).WithContext(what));
  m->verification = Verification(ws, artifact, policy);
  m->loaded_at = NowIso8601();

  const Labels labels = {
      {"endpoint", endpoint}, {"model", route.model}, {"version", std::to_string(route.version)}};
  m->stats.latency = &metrics.GetHistogram("citadel_inference_duration_seconds",
                                           "Time to answer an inference request, by model version",
                                           labels, LatencyBucketsSeconds());
  m->stats.answered = &metrics.GetCounter("citadel_inference_requests_total",
                                          "Inference requests answered", labels);
  m->stats.rows = &metrics.GetCounter("citadel_inference_rows_total", "Rows predicted", labels);
  m->stats.failed = &metrics.GetCounter("citadel_inference_errors_total",
                                        "Inference requests the model failed", labels);
  m->stats.ood_rows =
      &metrics.GetCounter("citadel_ood_flags_total", "Rows flagged out of distribution", labels);
  m->stats.screened_rows = &metrics.GetHistogram(
      "citadel_ood_screened_rows",
      "Rows scored together by the out-of-distribution detector, per call", labels,
      BatchSizeBuckets());
  m->stats.compared_rows = &metrics.GetCounter(
      "citadel_compared_rows_total",
      "Rows answered by both a version and the one it is compared with", labels);
  m->stats.disagreeing_rows = &metrics.GetCounter("citadel_disagreements_total",
                                                  "Compared rows whose top class differs", labels);
  Histogram* batch_rows =
      &metrics.GetHistogram("citadel_batch_rows", "Rows per forward pass of the dynamic batcher",
                            labels, BatchSizeBuckets());
  const ml::InferenceSession* session = m->session.get();
  m->classes = static_cast<int64_t>(session->classes().size());
  const bool penultimate =
      m->ood() != nullptr && m->ood()->space() == ml::FeatureSpace::kPenultimate;
  const int64_t hidden = penultimate ? session->penultimate_width() : 0;
  m->row_width = m->classes + hidden;
  // A penultimate-space detector scores the activations of the forward pass
  // that answers the row; they travel with its probabilities. The scoring
  // itself is left to the HTTP threads (inference_path.cc), beside the
  // model rather than in its queue.
  const int64_t classes = m->classes;
  m->batcher = std::make_unique<DynamicBatcher>(
      m->Label(), static_cast<int64_t>(session->feature_names().size()), m->row_width, batching,
      [session, classes, hidden](std::span<const float> x,
                                 int64_t rows) -> Result<std::vector<float>> {
        if (hidden == 0) return session->PredictProbabilities(x, rows);
        std::vector<float> activations;
        ASSIGN_OR_RETURN(std::vector<float> probs,
                         session->PredictProbabilities(x, rows, &activations));
        const int64_t width = classes + hidden;
        std::vector<float> out(static_cast<size_t>(rows * width));
        for (int64_t r = 0; r < rows; ++r) {
          float* o = out.data() + r * width;
          std::copy_n(probs.data() + r * classes, classes, o);
          std::copy_n(activations.data() + r * hidden, hidden, o + classes);
        }
        return out;
      },
      [batch_rows](int64_t rows) { batch_rows->Observe(static_cast<double>(rows)); });
  return m;
}

void SplitAnswer(const ServedModel& model, std::vector<float>& out, int64_t rows,
                 std::vector<float>* activations) {
  if (model.row_width == model.classes) return;
  const auto k = static_cast<size_t>(model.classes);
  const auto w = static_cast<size_t>(model.row_width);
  for (size_t r = 0; r < static_cast<size_t>(rows); ++r) {
    const float* row = out.data() + r * w;
    if (activations != nullptr) activations->insert(activations->end(), row + k, row + w);
    // In place: row r's probabilities move down to r·k ≤ r·w (the ranges
    // may overlap).
    std::memmove(out.data() + r * k, row, k * sizeof(float));
  }
  out.resize(static_cast<size_t>(rows) * k);
}

}  // namespace citadel::serve
