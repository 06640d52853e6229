#include "serve/inference_server.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <functional>
#include <optional>

#include "base/logging.h"
#include "base/time.h"
#include "base/version.h"
#include "serve/protocol/model_io.h"

namespace citadel::serve {
namespace {

double MonotonicSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int HttpStatus(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kFailedPrecondition:
    case StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

void Answer(http::Response& r, int status, std::string body) {
  r.status = status;
  r.body = std::move(body);
  r.content_type = "application/json";
}

// An error answer; `error` keeps the message for the access log.
void Refuse(http::Response& r, std::string& error, int status, std::string message) {
  Answer(r, status, EncodeError(message));
  error = std::move(message);
}

void Fail(http::Response& r, std::string& error, const Status& s) {
  Refuse(r, error, HttpStatus(s.code()), s.message());
}

// "/v2/models/x/versions/3/infer" → {"v2","models","x","versions","3","infer"}
std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

// Text from clients (paths, names) may be any bytes: invalid UTF-8 is
// replaced rather than allowed to throw from the serializer.
std::string SafeDump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}
std::string JsonString(std::string_view s) { return SafeDump(Json(std::string(s))); }

}  // namespace

struct InferenceServer::Outcome {
  std::string token = "-";
  std::string endpoint;
  std::string model;  // name:version that answered
  int64_t rows = 0;
  std::string error;
};

// An inference request between its checks and its answer: what its model's
// batcher needs, and what answering needs afterwards.
struct InferenceServer::InferJob {
  std::shared_ptr<const EndpointState> state;
  std::shared_ptr<ServedModel> model;
  std::string endpoint;
  InferRequest request;
  std::vector<float> features;
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point computed;  // its forward pass answered
  Result<std::vector<float>> probabilities = InternalError("not run");
};

InferenceServer::InferenceServer(InferenceServerOptions options)
    : options_(std::move(options)), access_(options_.auth, options_.guards) {}

InferenceServer::~InferenceServer() {
  Stop();
  if (access_log_ != nullptr && access_log_ != stdout) std::fclose(access_log_);
}

Result<std::unique_ptr<InferenceServer>> InferenceServer::Start(
    const std::filesystem::path& workspace, InferenceServerOptions options) {
  std::unique_ptr<InferenceServer> s(new InferenceServer(std::move(options)));
  const auto& log_path = s->options_.access_log;
  if (log_path == "-") {
    s->access_log_ = stdout;
  } else if (!log_path.empty()) {
    std::error_code ec;
    if (log_path.has_parent_path()) std::filesystem::create_directories(log_path.parent_path(), ec);
    s->access_log_ = std::fopen(log_path.c_str(), "a");
    if (s->access_log_ == nullptr) {
      return ErrnoError("opening the access log", log_path.string(), errno);
    }
  }
  s->mirror_ = std::make_unique<MirrorQueue>(1024);
  s->watcher_ = std::make_unique<DeploymentWatcher>(workspace, s->options_.watcher, s->endpoints_,
                                                    s->access_, s->metrics_);
  ASSIGN_OR_RETURN(s->payloads_, PayloadLog::Open(workspace, s->options_.payload_log));
  RETURN_IF_ERROR(s->watcher_->Start());
  InferenceServer* raw = s.get();
  ASSIGN_OR_RETURN(s->http_, http::HttpServer::Start(s->options_.http,
                                                     [raw](std::span<const http::Exchange> batch) {
                                                       raw->HandleBatch(batch);
                                                     }));
  return s;
}

void InferenceServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  // Order matters: in-flight requests finish first (they need the models),
  // then nothing changes the endpoints, then the models drain and go.
  if (http_) http_->Stop();
  if (watcher_) watcher_->Stop();
  if (payloads_) payloads_->Stop();  // writes what was sampled
  mirror_.reset();
  endpoints_.Replace({});
  if (access_log_ != nullptr) std::fflush(access_log_);
}

void InferenceServer::HandleBatch(std::span<const http::Exchange> batch) {
  // Each request is timed from its own start to its own answer (for the
  // access log), not to the end of the pass.
  struct Slot {
    const http::Request& req;
    http::Response& res;
    std::chrono::steady_clock::time_point started;
    std::chrono::steady_clock::time_point finished;
    Outcome outcome;
    std::optional<InferJob> job;
  };
  // A request whose handling throws is answered 500 alone; the others of
  // its pass go on.
  auto isolated = [](Slot& slot, const std::function<void()>& work) {
    if (!http::HandleIsolated(slot.req, slot.res, work)) {
      slot.outcome.error = "internal error";
      slot.job.reset();
    }
    slot.finished = std::chrono::steady_clock::now();
  };
  std::vector<Slot> slots;
  slots.reserve(batch.size());
  for (const http::Exchange& x : batch) {
    Slot& slot = slots.emplace_back(
        Slot{*x.request, *x.response, std::chrono::steady_clock::now(), {}, {}, {}});
    isolated(slot, [&] { HandleOne(slot.req, slot.res, slot.outcome, slot.job); });
  }
  // The inference requests of each model go to its batcher together: one
  // forward pass for the rows of all of them, with no thread hand-off.
  std::vector<Slot*> infer;
  for (Slot& slot : slots) {
    if (slot.job) infer.push_back(&slot);
  }
  std::vector<bool> run(infer.size(), false);
  for (size_t i = 0; i < infer.size(); ++i) {
    if (run[i]) continue;
    DynamicBatcher* batcher = infer[i]->job->model->batcher.get();
    std::vector<InferJob*> same;
    std::vector<DynamicBatcher::Input> inputs;
    for (size_t j = i; j < infer.size(); ++j) {
      if (run[j] || infer[j]->job->model->batcher.get() != batcher) continue;
      run[j] = true;
      same.push_back(&*infer[j]->job);
      inputs.push_back({infer[j]->job->features, infer[j]->outcome.rows});
    }
    try {
      auto results = batcher->RunMany(inputs);
      for (size_t j = 0; j < same.size(); ++j) same[j]->probabilities = std::move(results[j]);
    } catch (const std::exception& e) {  // out of memory queuing them: they fail, not the pass
      for (InferJob* job : same) job->probabilities = InternalError(e.what());
    }
    // A model's latency is its own queue and forward pass, not those of
    // other models answered in the same pass.
    const auto done = std::chrono::steady_clock::now();
    for (InferJob* job : same) job->computed = done;
  }
  for (Slot* slot : infer) {
    isolated(*slot, [&] { FinishInfer(slot->req, slot->res, slot->outcome, *slot->job); });
  }
  if (access_log_ == nullptr) return;
  for (const Slot& slot : slots) {
    WriteAccessLog(slot.req, slot.res, slot.outcome,
                   std::chrono::duration<double>(slot.finished - slot.started).count());
  }
}

void InferenceServer::HandleOne(const http::Request& req, http::Response& res, Outcome& outcome,
                                std::optional<InferJob>& job) {
  const auto seg = Segments(req.path);
  const bool is_get = req.method == "GET";
  [&] {
    if (seg.size() == 3 && seg[0] == "v2" && seg[1] == "health") {
      if (!is_get) return Fail(res, outcome.error, InvalidArgumentError("use GET"));
      if (seg[2] == "live") return Answer(res, 200, R"({"live":true})");
      if (seg[2] == "ready") {
        return endpoints_.ready() ? Answer(res, 200, R"({"ready":true})")
                                  : Answer(res, 503, R"({"ready":false})");
      }
    }
    auto caller = access_.Authenticate(req.Header("Authorization"));
    if (!caller.ok()) {
      CountRejection("auth");
      return Fail(res, outcome.error, caller.status());
    }
    outcome.token = caller->token_id;
    if (Status s = access_.Admit(*caller, MonotonicSeconds()); !s.ok()) {
      CountRejection("rate_limit");
      return Fail(res, outcome.error, s);
    }
    if (seg.size() == 1 && seg[0] == "metrics" && is_get) {
      for (const auto& [name, state] : endpoints_.All()) {
        for (const auto* m : {&state->primary, &state->canary, &state->shadow}) {
          if (*m == nullptr) continue;
          metrics_
              .GetGauge("citadel_queue_rows", "Rows waiting in the dynamic batcher",
                        {{"endpoint", name},
                         {"model", (*m)->model},
                         {"version", std::to_string((*m)->version)}})
              .Set(static_cast<double>((*m)->batcher->queued_rows()));
        }
      }
      metrics_
          .GetGauge("citadel_mirror_dropped", "Shadow copies dropped because the queue was full",
                    {})
          .Set(static_cast<double>(mirror_->dropped()));
      const PayloadLogCounters payloads = payloads_->counters();
      const char* help = "Sampled request/response pairs, by what became of them";
      metrics_.GetGauge("citadel_payload_records", help, {{"state", "written"}})
          .Set(static_cast<double>(payloads.records_written));
      metrics_.GetGauge("citadel_payload_records", help, {{"state", "dropped"}})
          .Set(static_cast<double>(payloads.records_dropped));
      metrics_
          .GetGauge("citadel_payload_write_errors", "Payload artifacts that could not be written",
                    {})
          .Set(static_cast<double>(payloads.write_errors));
      res.status = 200;
      res.body = metrics_.Render();
      res.content_type = std::string(MetricsRegistry::kContentType);
      return;
    }
    if (seg.size() == 1 && seg[0] == "v2" && is_get) {
      return Answer(res, 200,
                    SafeDump(Json{{"name", "citadel"},
                                  {"version", CitadelVersion()},
                                  {"extensions", {"binary_tensor_data"}}}));
    }
    if (seg.size() < 3 || seg[0] != "v2" || seg[1] != "models") {
      return Fail(res, outcome.error,
                  NotFoundError(fmt::format("no route {} {}; see the Open Inference Protocol "
                                            "v2 paths under /v2",
                                            req.method, req.path)));
    }
    const std::string_view endpoint = seg[2];
    outcome.endpoint = std::string(endpoint);
    size_t next = 3;
    int64_t version = 0;
    if (seg.size() >= 5 && seg[3] == "versions") {
      auto [end, ec] = std::from_chars(seg[4].data(), seg[4].data() + seg[4].size(), version);
      if (ec != std::errc() || end != seg[4].data() + seg[4].size() || version < 1) {
        return Fail(
            res, outcome.error,
            InvalidArgumentError(fmt::format("version '{}' is not a positive integer", seg[4])));
      }
      next = 5;
    }
    const std::string_view action = seg.size() > next ? seg[next] : std::string_view();
    if (seg.size() > next + 1 || (action != "" && action != "ready" && action != "infer")) {
      return Fail(res, outcome.error,
                  NotFoundError(fmt::format("no route {} {}", req.method, req.path)));
    }
    if (action == "infer") {
      if (req.method != "POST")
        return Fail(res, outcome.error, InvalidArgumentError("infer takes POST"));
      return PrepareInfer(req, *caller, endpoint, version, res, outcome, job);
    }
    if (!is_get)
      return Fail(res, outcome.error, InvalidArgumentError(fmt::format("{} takes GET", req.path)));
    auto state = endpoints_.Find(endpoint);
    if (state == nullptr) {
      return Fail(res, outcome.error,
                  NotFoundError(fmt::format("model '{}' is not deployed here", endpoint)));
    }
    std::shared_ptr<ServedModel> model = version > 0 ? state->Version(version) : state->primary;
    if (model == nullptr && version > 0) {
      return Fail(res, outcome.error,
                  NotFoundError(fmt::format("model '{}' serves no version {}", endpoint, version)));
    }
    if (action == "ready") {
      const bool ready = model != nullptr;
      return Answer(res, ready ? 200 : 503, SafeDump(Json{{"name", endpoint}, {"ready", ready}}));
    }
    Json meta = model != nullptr ? ModelMetadata(outcome.endpoint, *model, state->spec.hardening)
                                 : Json{{"name", endpoint}, {"versions", Json::array()}};
    if (version == 0) {
      Json versions = Json::array();
      Json routes = Json::array();
      for (const Route& r : state->spec.routes) {
        versions.push_back(std::to_string(r.version));
        routes.push_back({{"model", r.model},
                          {"version", r.version},
                          {"artifact", r.artifact_id},
                          {"role", RouteRoleName(r.role)},
                          {"weight", r.weight}});
      }
      meta["versions"] = versions;
      meta["parameters"]["deployment"] = {{"revision", state->revision}, {"routes", routes}};
      if (state->spec.rollout)
        meta["parameters"]["deployment"]["rollout"] = CanaryPolicyToJson(*state->spec.rollout);
    }
    meta["parameters"]["refusal"] = state->refusal;
    if (model == nullptr) return Answer(res, 503, SafeDump(meta));
    Answer(res, 200, SafeDump(meta));
  }();
}

void InferenceServer::CountRejection(std::string_view reason) {
  metrics_
      .GetCounter("citadel_rejections_total", "Requests refused before inference, by reason",
                  {{"reason", std::string(reason)}})
      .Increment();
}

void InferenceServer::PrepareInfer(const http::Request& req, const Caller& caller,
                                   std::string_view endpoint, int64_t version, http::Response& res,
                                   Outcome& outcome, std::optional<InferJob>& job) {
  const auto started = std::chrono::steady_clock::now();
  auto reject = [&](std::string_view reason, const Status& s) {
    CountRejection(reason);
    Fail(res, outcome.error, s);
  };
  auto state = endpoints_.Find(endpoint);
  if (state == nullptr) {
    std::vector<std::string> names;
    for (const auto& [name, s] : endpoints_.All()) names.push_back(name);
    return reject("unknown_model",
                  NotFoundError(fmt::format("model '{}' is not deployed here; deployed: [{}]",
                                            endpoint, fmt::join(names, ", "))));
  }
  if (state->primary == nullptr) {
    return reject("not_loaded",
                  UnavailableError(fmt::format("model '{}' is not loaded: {}", endpoint,
                                               state->refusal.value("error", "loading"))));
  }
  if (static_cast<int64_t>(req.body.size()) > state->spec.limits.max_body_bytes) {
    return Refuse(res, outcome.error, 413,
                  fmt::format("the body has {} bytes; endpoint {} takes at most {}",
                              req.body.size(), endpoint, state->spec.limits.max_body_bytes));
  }
  std::shared_ptr<ServedModel> model;
  if (version > 0) {
    model = state->Version(version);
    if (model == nullptr) {
      return reject("unknown_model", NotFoundError(fmt::format("model '{}' serves no version {}",
                                                               endpoint, version)));
    }
  } else {
    model = state->Choose(req.Header("X-Client-Key"));
  }
  outcome.model = model->Label();
  std::optional<size_t> header_length;
  if (req.HasHeader("Inference-Header-Content-Length")) {
    auto n = ParseInferenceHeaderLength(req.Header("Inference-Header-Content-Length"));
    if (!n.ok()) return reject("invalid", n.status());
    header_length = *n;
  }
  auto request = ParseInferRequest(req.body, header_length);
  if (!request.ok()) return reject("invalid", request.status());
  auto input = RequestFeatures(*model, *request, state->spec.limits);
  if (!input.ok()) return reject("invalid", input.status());
  outcome.rows = input->rows;
  if (Status s = access_.Charge(caller, input->rows, MonotonicSeconds()); !s.ok()) {
    return reject("budget", s);
  }
  if (model->ood) {
    // Rows unlike the training data: counted (rollouts judge the rate),
    // and refused when the deployment says so.
    const size_t f = model->session->feature_names().size();
    int64_t flagged = 0;
    int64_t first = -1;
    double first_score = 0;
    for (int64_t r = 0; r < input->rows; ++r) {
      const double score = model->ood->Score(
          std::span<const float>(input->features.data() + static_cast<size_t>(r) * f, f));
      if (score > model->ood->threshold()) {
        if (first < 0) {
          first = r;
          first_score = score;
        }
        ++flagged;
      }
    }
    if (flagged > 0) {
      // The rollout judges requests (its denominator); metrics count rows.
      model->stats.ood_flags.fetch_add(1, std::memory_order_relaxed);
      model->stats.ood_rows->Increment(static_cast<double>(flagged));
      if (state->spec.reject_ood) {
        CountRejection("ood");
        return Refuse(
            res, outcome.error, 422,
            fmt::format("{} of {} rows are out of distribution for model {} (row {} scores "
                        "{:.4g}, the threshold is {:.4g}); this endpoint refuses them",
                        flagged, input->rows, model->Label(), first, first_score,
                        model->ood->threshold()));
      }
    }
  }
  InferJob& j = job.emplace();
  j.state = std::move(state);
  j.model = std::move(model);
  j.endpoint = std::string(endpoint);
  j.request = std::move(*request);
  j.features = std::move(input->features);
  j.started = started;
}

void InferenceServer::FinishInfer(const http::Request& req, http::Response& res, Outcome& outcome,
                                  InferJob& job) {
  const std::shared_ptr<const EndpointState>& state = job.state;
  const std::shared_ptr<ServedModel>& model = job.model;
  const std::string& endpoint = job.endpoint;
  auto reject = [&](std::string_view reason, const Status& s) {
    CountRejection(reason);
    Fail(res, outcome.error, s);
  };
  Result<std::vector<float>>& probs = job.probabilities;
  const double seconds = std::chrono::duration<double>(job.computed - job.started).count();
  model->stats.requests.fetch_add(1, std::memory_order_relaxed);
  model->stats.latency->Observe(seconds);
  if (!probs.ok()) {
    if (probs.status().code() == StatusCode::kResourceExhausted) {
      return reject("queue_full", probs.status());
    }
    model->stats.errors.fetch_add(1, std::memory_order_relaxed);
    model->stats.failed->Increment();
    log::Error("serve: {} {}: {}", endpoint, model->Label(), probs.status().ToString());
    return Fail(res, outcome.error,
                InternalError(
                    fmt::format("model {} failed: {}", model->Label(), probs.status().message())));
  }
  model->stats.answered->Increment();
  model->stats.rows->Increment(static_cast<double>(outcome.rows));
  // The rows go to the shadow, or to the primary for a canary's second
  // opinion, only when someone will compare.
  const bool mirror_shadow = state->shadow != nullptr && state->shadow != model;
  const bool second_opinion = model == state->canary && state->primary != nullptr;
  if (mirror_shadow) {
    Mirror(state->shadow, state->shadow, second_opinion ? job.features : std::move(job.features),
           outcome.rows, *probs);
  }
  if (second_opinion) {
    Mirror(state->primary, model, std::move(job.features), outcome.rows, *probs);
  }
  InferResponse response;
  response.model_name = endpoint;
  response.model_version = std::to_string(model->version);
  response.id = job.request.id;
  if (Status s =
          FillOutputs(*model, *probs, outcome.rows, state->spec.hardening, job.request, response);
      !s.ok()) {
    return reject("invalid", s);
  }
  EncodedBody body = EncodeInferResponse(response);
  res.status = 200;
  res.body = std::move(body.body);
  res.content_type = body.content_type;
  if (body.json_header_length) {
    res.headers.emplace_back("Inference-Header-Content-Length",
                             std::to_string(*body.json_header_length));
  }
  if (const PayloadLogging& logging = state->spec.logging;
      payloads_ != nullptr && PayloadLog::Sample(logging.sample_rate)) {
    PayloadRecord record;
    record.endpoint = endpoint;
    record.model = model->model;
    record.version = model->version;
    record.artifact_id = model->artifact_id;
    record.request_id = job.request.id;
    record.http_status = res.status;
    record.latency_ms = 1e3 * seconds;
    record.request = PayloadBody::Of(req.body, logging.max_payload_bytes);
    record.response = PayloadBody::Of(res.body, logging.max_payload_bytes);
    payloads_->Record(std::move(record));
  }
}

// Runs `other` on the same rows in the background and counts, on `judged`,
// how often its top class differs from `reference`'s. The answer is
// discarded: a shadow never affects a client.
void InferenceServer::Mirror(const std::shared_ptr<ServedModel>& other,
                             const std::shared_ptr<ServedModel>& judged,
                             std::vector<float> features, int64_t rows,
                             std::vector<float> reference) {
  const bool queued = mirror_->TryPush([this, other, judged, features = std::move(features), rows,
                                        reference = std::move(reference)]() mutable {
    const auto started = std::chrono::steady_clock::now();
    auto out = other->batcher->Run(std::move(features), rows);
    if (other == judged) {  // a shadow's own traffic
      other->stats.requests.fetch_add(1, std::memory_order_relaxed);
      other->stats.latency->Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      if (!out.ok()) other->stats.errors.fetch_add(1, std::memory_order_relaxed);
    }
    if (!out.ok()) return;
    const size_t k = other->session->classes().size();
    if (k == 0 || out->size() != reference.size()) return;
    int64_t differ = 0;
    for (size_t r = 0; r < static_cast<size_t>(rows); ++r) {
      std::span<const float> a(out->data() + r * k, k), b(reference.data() + r * k, k);
      if (TopClass(a) != TopClass(b)) ++differ;
    }
    judged->stats.compared.fetch_add(rows, std::memory_order_relaxed);
    judged->stats.disagreements.fetch_add(differ, std::memory_order_relaxed);
    judged->stats.compared_rows->Increment(static_cast<double>(rows));
    judged->stats.disagreeing_rows->Increment(static_cast<double>(differ));
  });
  (void)queued;  // a dropped copy is counted by the queue (citadel_mirror_dropped)
}

void InferenceServer::WriteAccessLog(const http::Request& req, const http::Response& res,
                                     const Outcome& o, double seconds) {
  std::string line = fmt::format(
      R"({{"time":{},"remote":{},"token":{},"method":{},"path":{},"status":{},"endpoint":{},)"
      R"("model":{},"rows":{},"bytes_in":{},"bytes_out":{},"seconds":{:.6f}{}}})"
      "\n",
      JsonString(NowIso8601()), JsonString(req.remote_addr), JsonString(o.token),
      JsonString(req.method), JsonString(req.path), res.status, JsonString(o.endpoint),
      JsonString(o.model), o.rows, req.body.size(), res.body.size(), seconds,
      o.error.empty() ? std::string() : ",\"error\":" + JsonString(o.error));
  std::lock_guard lock(log_mu_);
  std::fwrite(line.data(), 1, line.size(), access_log_);
  // A write per request is a syscall per request: lines reach the file when
  // stdio's buffer fills, at least every 0.2 s while requests arrive, and on
  // shutdown.
  const double now = MonotonicSeconds();
  if (now - log_flushed_at_ >= 0.2) {
    std::fflush(access_log_);
    log_flushed_at_ = now;
  }
}

}  // namespace citadel::serve
