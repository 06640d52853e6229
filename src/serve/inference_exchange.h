// What the inference server's two halves share: a request's state on its
// way through a pass (inference_server.cc routes and answers it,
// inference_path.cc screens, batches and answers inference requests) and
// the helpers that write an answer. Internal to src/serve.
#pragma once

#include <chrono>
#include <optional>
#include <string>
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

// One request of an HTTP thread's pass, from its start to its answer.
struct InferenceServer::Slot {
  const http::Exchange& exchange;
  const http::Request& req;
  http::Response& res;
  std::chrono::steady_clock::time_point started;
  Outcome outcome;
  std::optional<InferJob> job;  // an inference request that passed its checks
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
