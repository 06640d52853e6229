// The inference path of InferenceServer: an inference request parsed,
// checked and charged (PrepareInfer), each model's requests of a pass run
// through its batcher together (RunInferences), their rows screened for
// being out of distribution together (ScreenOutOfDistribution), then
// answered, mirrored and sampled (FinishInfer, Mirror).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "base/logging.h"
#include "serve/inference_exchange.h"
#include "serve/protocol/model_io.h"

namespace citadel::serve {

using internal::Fail;
using internal::MonotonicSeconds;
using internal::Refuse;

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
  InferJob& j = job.emplace();
  j.state = std::move(state);
  j.model = std::move(model);
  j.endpoint = std::string(endpoint);
  j.request = std::move(*request);
  j.features = std::move(input->features);
  j.started = started;
}

void InferenceServer::RunInferences(std::vector<std::unique_ptr<Slot>>& slots) {
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i] == nullptr || !slots[i]->job) continue;
    auto call = std::make_shared<ModelCall>();
    call->server = this;
    call->model = slots[i]->job->model;
    for (size_t j = i; j < slots.size(); ++j) {
      if (slots[j] != nullptr && slots[j]->job && slots[j]->job->model == call->model) {
        call->slots.push_back(std::move(slots[j]));
      }
    }
    ServedModel& model = *call->model;
    // An input-space detector judges a request before the model runs, so
    // a refused one takes no queue space or forward pass; a penultimate one
    // needs the forward pass's activations, and judges after it.
    if (model.ood() != nullptr && model.ood()->space() == ml::FeatureSpace::kInputFeatures) {
      std::vector<Slot*> group;
      for (auto& s : call->slots) group.push_back(s.get());
      ScreenGroup(model, group);
      for (auto& s : call->slots) {
        if (!s->job) Respond(*s, /*now=*/true);  // refused: it need not wait for the pass
      }
      std::erase_if(call->slots, [](const auto& s) { return !s->job; });
      if (call->slots.empty()) continue;
    }
    // Below the threshold, another thread's forward pass ends sooner than a
    // hand-off through the event loops costs: this thread waits for it
    // (RunMany: a futex wake), where going back to its event loop would
    // cost an eventfd write, an epoll wake-up and a read — about 5 µs of a
    // 30 µs request for the benchmark MLP at 16 connections
    // (docs/benchmarks.md). Above it (the CNN's passes), it reads on.
    if (model.batcher->typical_batch_seconds() < options_.wait_for_passes_below_seconds) {
      // The pass's last group is sent with the rest of the pass (sending
      // early costs ~5 % of the throughput of a pass of one model's
      // requests, where nothing would be gained).
      const bool last = std::none_of(slots.begin() + static_cast<ptrdiff_t>(i) + 1, slots.end(),
                                     [](const auto& s) { return s != nullptr && s->job; });
      RunGroupHere(*call, /*now=*/!last);
    } else {
      SubmitGroup(std::move(call));
    }
  }
}

void InferenceServer::RunGroupHere(ModelCall& call, bool now) {
  try {
    std::vector<DynamicBatcher::Input> inputs;
    for (auto& s : call.slots) inputs.push_back({s->job->features, s->outcome.rows});
    call.answers = call.model->batcher->RunMany(inputs);
  } catch (const std::exception& e) {  // out of memory queuing them: they fail, not the pass
    call.answers.assign(call.slots.size(), InternalError(e.what()));
  }
  call.computed = std::chrono::steady_clock::now();
  FinishCall(call, now);
}

void InferenceServer::SubmitGroup(std::shared_ptr<ModelCall> call) {
  std::vector<DynamicBatcher::Input> inputs;
  try {
    for (auto& s : call->slots) {
      s->Defer();
      inputs.push_back({s->job->features, s->outcome.rows});
    }
    // Where the answers and any lead handed to this thread are run: the
    // connection's event loop, which every request of the call shares.
    http::DeferredAnswer& home = call->slots.front()->deferred;
    call->model->batcher->Submit(
        inputs,
        // Captures one pointer's worth (std::function keeps it inline).
        [call](DynamicBatcher::Answers answers) {
          call->answers = std::move(answers);
          call->computed = std::chrono::steady_clock::now();
          // On the thread that read the requests (it ran their batch):
          // answered now. `call` outlives this — the batcher destroys this
          // closure, with the model reference it holds, only once it has
          // stopped counting the call.
          if (std::this_thread::get_id() == call->home) return call->server->FinishCall(*call);
          call->slots.front()->deferred.Post([call] { call->server->FinishCall(*call); });
        },
        [&home](std::function<void()> task) { home.Post(std::move(task)); });
  } catch (const std::exception& e) {  // out of memory queuing them: they fail, not the pass
    call->answers.assign(call->slots.size(), InternalError(e.what()));
    call->computed = std::chrono::steady_clock::now();
    FinishCall(*call);
  }
}

void InferenceServer::FinishCall(ModelCall& call, bool now) {
  ServedModel& model = *call.model;
  std::vector<Slot*> group;
  for (size_t i = 0; i < call.slots.size(); ++i) {
    Slot& s = *call.slots[i];
    s.job->probabilities = std::move(call.answers[i]);
    s.job->computed = call.computed;  // its own queue and forward pass
    group.push_back(&s);
  }
  if (model.ood() != nullptr && model.ood()->space() == ml::FeatureSpace::kPenultimate) {
    ScreenGroup(model, group);
  }
  for (Slot* s : group) {
    if (s->job) Isolate(*s, [&] { FinishInfer(*s->req, *s->res, s->outcome, *s->job); });
    Respond(*s, now);
  }
}

void InferenceServer::ScreenGroup(ServedModel& model, std::span<Slot* const> group) {
  try {
    ScreenOutOfDistribution(model, group);
  } catch (const std::exception& e) {
    // The screen's failure (out of memory) is the server's, not the
    // model's: answered 500 without counting against the model.
    log::Error("serve: screening {} requests for {}: {}", group.size(), model.Label(), e.what());
    for (Slot* s : group) {
      if (!s->job) continue;
      Fail(*s->res, s->outcome.error, InternalError("internal error"));
      s->job.reset();
    }
  }
}

void InferenceServer::ScreenOutOfDistribution(ServedModel& model,
                                              std::span<Slot* const> group) {
  const ml::OodDetector* detector = model.ood();
  if (detector == nullptr) return;
  // Every request's rows in the detector's space, all scored in one call:
  // the detector reads its factor once per block of rows. Before the
  // forward pass those are the requests' features; after it, the
  // activations that came back with each answer (split off here).
  const bool after = model.row_width != model.classes;
  std::vector<Slot*> screened;
  int64_t total = 0;
  for (Slot* s : group) {
    if (!s->job || (after && !s->job->probabilities.ok())) continue;  // FinishInfer answers it
    screened.push_back(s);
    total += s->outcome.rows;
  }
  if (screened.empty()) return;
  std::vector<float> joined;
  std::span<const float> rows;
  if (after) {
    for (Slot* s : screened) {
      SplitAnswer(model, *s->job->probabilities, s->outcome.rows, &joined);
    }
    rows = joined;
  } else if (screened.size() == 1) {
    rows = screened.front()->job->features;  // the common case: no copy
  } else {
    for (const Slot* s : screened) {
      joined.insert(joined.end(), s->job->features.begin(), s->job->features.end());
    }
    rows = joined;
  }
  const std::vector<double> scores = detector->ScoreRows(rows, total);
  model.stats.screened_rows->Observe(static_cast<double>(total));
  const double threshold = detector->threshold();
  size_t at = 0;
  for (Slot* s : screened) {
    int64_t flagged = 0;
    int64_t first = -1;
    double first_score = 0;
    for (int64_t r = 0; r < s->outcome.rows; ++r, ++at) {
      if (scores[at] <= threshold) continue;
      if (first < 0) {
        first = r;
        first_score = scores[at];
      }
      ++flagged;
    }
    if (flagged == 0) continue;
    // Rows unlike the training data: counted (rollouts judge the rate; they
    // judge requests, metrics count rows), and refused when the deployment
    // says so.
    model.stats.ood_flags.fetch_add(1, std::memory_order_relaxed);
    model.stats.ood_rows->Increment(static_cast<double>(flagged));
    if (s->job->state->spec.reject_ood) {
      CountRejection("ood");
      Refuse(*s->res, s->outcome.error, 422,
             fmt::format("{} of {} rows are out of distribution for model {} (row {} scores "
                         "{:.4g}, the threshold is {:.4g}); this endpoint refuses them",
                         flagged, s->outcome.rows, model.Label(), first, first_score, threshold));
      s->job.reset();
    }
  }
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
    if (out.ok()) SplitAnswer(*other, *out, rows, nullptr);  // a shadow's rows are not screened
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

}  // namespace citadel::serve
