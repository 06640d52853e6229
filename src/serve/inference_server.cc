#include "serve/inference_server.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <functional>
#include <optional>

#include "base/logging.h"
#include "base/time.h"
#include "base/version.h"
#include "serve/inference_exchange.h"
#include "serve/protocol/model_io.h"

namespace citadel::serve {

using internal::Answer;
using internal::Fail;
using internal::MonotonicSeconds;

namespace {

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
  std::vector<std::unique_ptr<Slot>> slots;
  slots.reserve(batch.size());
  for (const http::Exchange& x : batch) slots.push_back(std::make_unique<Slot>(x));
  bool infer = false;
  for (auto& slot : slots) {
    Slot& s = *slot;
    Isolate(s, [&] { HandleOne(*s.req, *s.res, s.outcome, s.job); });
    infer = infer || s.job.has_value();
  }
  // Health, metadata, metrics and refusals do not wait for forward passes.
  for (auto& slot : slots) {
    if (!slot->job) Respond(*slot, /*now=*/infer);
  }
  RunInferences(slots);  // responds to each of them, now or once computed
}

void InferenceServer::Isolate(Slot& slot, const std::function<void()>& work) {
  if (!http::HandleIsolated(*slot.req, *slot.res, work)) {
    slot.outcome.error = "internal error";
    slot.job.reset();
  }
}

void InferenceServer::Respond(Slot& slot, bool now) {
  if (access_log_ != nullptr) {
    const auto done = std::chrono::steady_clock::now();
    WriteAccessLog(*slot.req, *slot.res, slot.outcome,
                   std::chrono::duration<double>(done - slot.started).count());
  }
  if (slot.deferred) {
    slot.deferred.Send(std::move(*slot.res));
  } else if (now) {
    slot.exchange->AnswerNow();
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
