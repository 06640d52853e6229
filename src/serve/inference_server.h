// `citadel serve`: the workspace's deployments over the Open Inference
// Protocol v2 REST API (KServe / Triton):
//
//   GET  /v2/health/live | /v2/health/ready         (no token needed)
//   GET  /v2                                         server metadata
//   GET  /v2/models/{endpoint}[/versions/{v}]        model metadata + what runs
//   GET  /v2/models/{endpoint}[/versions/{v}]/ready
//   POST /v2/models/{endpoint}[/versions/{v}]/infer  JSON or binary tensors
//   GET  /metrics                                    Prometheus text format
//
// A request is authenticated (bearer token), rate-limited, parsed and
// checked against the model's schema (400 with the place at fault), charged
// to its token's query budget, routed (primary / canary by weight, sticky
// per X-Client-Key), batched, answered, mirrored to the shadow, counted in
// metrics and written to the access log. Errors are {"error": "…"} with the
// status that says whose fault it is: 400 bad request, 401 no token, 404
// unknown model, 413 too large, 422 rejected as out of distribution, 429
// over a limit or queue, 503 not loaded, 500 the model failed.
#pragma once

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "base/status.h"
#include "http/http_server.h"
#include "serve/guards/access_control.h"
#include "serve/mirror_queue.h"
#include "serve/payload_log.h"
#include "serve/prometheus_metrics.h"
#include "serve/protocol/oip_codec.h"
#include "serve/routing/deployment_watcher.h"

namespace citadel::serve {

struct InferenceServerOptions {
  http::ServerOptions http;
  bool auth = true;
  GuardDefaults guards;
  WatcherOptions watcher;
  // One JSON line per request; empty = none, "-" = standard output.
  std::filesystem::path access_log;
  // A thread whose requests wait for another thread's forward pass waits
  // for it when the model's passes take less than this (a hand-off through
  // the event loops costs more), and reads on otherwise. 0: never waits.
  double wait_for_passes_below_seconds = 50e-6;
  PayloadLogOptions payload_log;
};

class InferenceServer {
 public:
  // Loads the current deployments (refusals are reported, not fatal), then
  // listens. Errors: the workspace cannot be opened, the port cannot be
  // bound, the access log cannot be opened.
  static Result<std::unique_ptr<InferenceServer>> Start(const std::filesystem::path& workspace,
                                                        InferenceServerOptions options);
  ~InferenceServer();  // Stop()

  int port() const { return http_->port(); }
  // Graceful: stops accepting, answers every request in flight, then stops
  // the control loop and drains the batchers. Idempotent.
  void Stop();

 private:
  explicit InferenceServer(InferenceServerOptions options);
  // inference_exchange.h
  struct Outcome;
  struct InferJob;
  struct Slot;
  struct ModelCall;
  // The requests one HTTP thread read in one pass: each routed and checked,
  // the inference requests of each model run through its batcher together,
  // then each answered and logged.
  void HandleBatch(std::span<const http::Exchange> batch);
  // Runs one step of a slot's handling: a throw answers that request 500
  // and drops its job; the other requests of the pass go on.
  static void Isolate(Slot& slot, const std::function<void()>& work);
  // The slot's response is final: written to the access log, timed from
  // the request's own start, and sent — a deferred slot's at once; one still
  // in the pass at once with `now`, else with the rest of the pass (sending
  // early costs ~5 % of the throughput of a pass of one model's requests,
  // where nothing would be gained).
  void Respond(Slot& slot, bool now);
  // Answers `request`, or for an inference request that passed the checks
  // of the request alone leaves `job` for RunInferences (which screens it
  // for rows out of distribution with the others of its pass) and
  // FinishInfer.
  void HandleOne(const http::Request& request, http::Response& response, Outcome& outcome,
                 std::optional<InferJob>& job);
  void CountRejection(std::string_view reason);

  // The inference path (inference_path.cc).
  // Parses and checks an inference request and charges its token; leaves
  // `job` when it passed, else answers.
  void PrepareInfer(const http::Request& request, const Caller& caller, std::string_view endpoint,
                    int64_t version, http::Response& response, Outcome& outcome,
                    std::optional<InferJob>& job);
  // Each model's requests of a pass (the slots with a job, taken from
  // `slots`) screened together and handed to its batcher as one group (an
  // input-space detector screens before the forward pass; a refused
  // request is answered at once): submitted, or, for a model whose passes
  // are shorter than a hand-off between threads, run here.
  void RunInferences(std::vector<std::unique_ptr<Slot>>& slots);
  // The group through the blocking RunMany, answered on this thread, with
  // the rest of the pass unless `now`.
  void RunGroupHere(ModelCall& call, bool now);
  // Defers the group's requests and submits them to the batcher, which
  // runs them on this thread when an instance is free and otherwise
  // returns: the thread reads on while another thread's forward pass runs.
  // The answers come back here (FinishCall), through the event loop.
  void SubmitGroup(std::shared_ptr<ModelCall> call);
  // On the thread that read the requests: a penultimate detector screens
  // the activations that came back with the answers, then each is
  // answered (Respond's `now`).
  void FinishCall(ModelCall& call, bool now = true);
  // ScreenOutOfDistribution, its failure (out of memory) a 500 for every
  // request of the group still unanswered, not counted against the model.
  void ScreenGroup(ServedModel& model, std::span<Slot* const> group);
  // Scores the rows of one model's requests that still have a job in one
  // call (after the forward pass: those answered, their activations split
  // off the answers), counts the flags and sets a 422 answer (dropping the
  // job) where the endpoint refuses them.
  void ScreenOutOfDistribution(ServedModel& model, std::span<Slot* const> group);
  void FinishInfer(const http::Request& request, http::Response& response, Outcome& outcome,
                   InferJob& job);
  void Mirror(const std::shared_ptr<ServedModel>& other, const std::shared_ptr<ServedModel>& judged,
              std::vector<float> features, int64_t rows, std::vector<float> reference);
  void WriteAccessLog(const http::Request& request, const http::Response& response,
                      const Outcome& outcome, double seconds);

  const InferenceServerOptions options_;
  MetricsRegistry metrics_;
  AccessControl access_;
  EndpointTable endpoints_;
  std::unique_ptr<MirrorQueue> mirror_;
  std::unique_ptr<DeploymentWatcher> watcher_;
  std::unique_ptr<PayloadLog> payloads_;  // sampled exchanges, for deployments that ask
  std::unique_ptr<http::HttpServer> http_;
  std::mutex log_mu_;
  std::FILE* access_log_ = nullptr;
  double log_flushed_at_ = 0;  // MonotonicSeconds of the last flush; under log_mu_
  bool stopped_ = false;
};

}  // namespace citadel::serve
