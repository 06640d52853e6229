// What the inference server's two halves share: a request's state on its
// way through a pass (inference_server.cc routes and answers it,
// inference_path.cc screens, batches and answers inference requests) and
// the helpers that write an answer. Internal to src/serve.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http/http_server.h"
#include "serve/inference_server.h"

namespace citadel::serve {

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

// One request of an HTTP thread's pass, from its start to its answer. One
// that goes to a batcher leaves the pass (Defer): it then owns its request
// and response, and is answered when its forward pass is done, while the
// thread reads on.
struct InferenceServer::Slot {
  explicit Slot(const http::Exchange& x)
      : exchange(&x),
        req(x.request),
        res(x.response),
        started(std::chrono::steady_clock::now()) {}
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

  void Defer() {
    deferred = exchange->Defer();
    req = &deferred.request();
    own = std::move(*res);
    res = &own;
  }

  const http::Exchange* exchange;
  http::DeferredAnswer deferred;  // set by Defer
  const http::Request* req;
  http::Response* res;
  http::Response own;  // a deferred request's response
  std::chrono::steady_clock::time_point started;
  Outcome outcome;
  std::optional<InferJob> job;  // an inference request that passed its checks
};

// One model's requests of a pass, handed to its batcher together: alive
// until their answers are sent, on the thread that read them.
struct InferenceServer::ModelCall {
  InferenceServer* server = nullptr;
  std::shared_ptr<ServedModel> model;
  std::vector<std::unique_ptr<Slot>> slots;
  std::thread::id home = std::this_thread::get_id();
  DynamicBatcher::Answers answers;
  std::chrono::steady_clock::time_point computed;
};

namespace internal {

inline double MonotonicSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline int HttpStatus(StatusCode code) {
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

inline void Answer(http::Response& r, int status, std::string body) {
  r.status = status;
  r.body = std::move(body);
  r.content_type = "application/json";
}

// An error answer; `error` keeps the message for the access log.
inline void Refuse(http::Response& r, std::string& error, int status, std::string message) {
  Answer(r, status, EncodeError(message));
  error = std::move(message);
}

inline void Fail(http::Response& r, std::string& error, const Status& s) {
  Refuse(r, error, HttpStatus(s.code()), s.message());
}

}  // namespace internal
}  // namespace citadel::serve
