// An HTTP/1.1 server on one port: the only code in Citadel that knows which
// HTTP library serves (Boost.Beast / Asio; the choice and its benchmark are
// in docs/benchmarks.md). Callers see plain Request / Response values and
// one handler, so swapping the library touches this module only.
//
// A fixed set of threads serves the connections (epoll; keep-alive on),
// each connection on one of them; the handler runs on its connection's
// thread and may block. Limits protect the process: a body over
// max_body_bytes is answered 413 without being read (headers over
// max_header_bytes: 431), a request that does not arrive whole within
// read_timeout is answered 408, an idle kept-alive connection is closed
// after keep_alive_seconds, and the threads are bounded whatever the
// clients do. Every refusal is a JSON {"error": …} body.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace citadel::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // "GET", "POST", …
  std::string path;    // without the query string, not percent-decoded
  std::string query;   // after '?', raw
  Headers headers;
  std::string body;
  std::string remote_addr;

  // Value of the first header named `name` (ASCII case-insensitive), or "".
  std::string_view Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  Headers headers;  // extra headers (Content-Type and -Length are set from the fields)
};

using Handler = std::function<void(const Request&, Response&)>;

namespace internal {
struct PendingAnswer;  // server_connection.h
struct DeferredState;
}  // namespace internal

// An answer given after the handler has returned, from any thread: the
// handler takes it from its Exchange (Exchange::Defer) when the answer
// waits on work elsewhere — a forward pass another thread runs — so that
// its thread goes back to reading its other connections instead of
// blocking. It owns the request; the server's Stop waits for it; and one
// destroyed unsent answers 500, so that no client is left waiting.
class DeferredAnswer {
 public:
  DeferredAnswer() = default;
  DeferredAnswer(DeferredAnswer&&) noexcept = default;
  DeferredAnswer& operator=(DeferredAnswer&& other) noexcept;
  DeferredAnswer(const DeferredAnswer&) = delete;
  DeferredAnswer& operator=(const DeferredAnswer&) = delete;
  ~DeferredAnswer();

  explicit operator bool() const { return state_ != nullptr; }
  const Request& request() const;
  // Sends `response` on the request's connection: at once on the
  // connection's thread, otherwise queued to it. Once; later calls do
  // nothing.
  void Send(Response response);
  // Runs `task` on the connection's thread, after what that thread has
  // already queued; callable from any thread. The thread keeps running
  // (Stop waits) while this answer is unsent.
  void Post(std::function<void()> task) const;

 private:
  friend struct Exchange;
  explicit DeferredAnswer(std::shared_ptr<internal::DeferredState> state)
      : state_(std::move(state)) {}
  // Unsent: answers 500 (and logs that the handler dropped it).
  void Abandon() noexcept;
  std::shared_ptr<internal::DeferredState> state_;
};

// One request and the response its handler fills.
struct Exchange {
  const Request* request;
  Response* response;
  // Sends `*response` now rather than when the handler returns, so that a
  // request answered early in a pass (a health check, a refusal, one
  // model's results) does not wait for the rest of the pass's work. Once
  // only, on the handler's thread; the response is moved out, and the
  // handler must not touch it afterwards.
  void AnswerNow() const;
  // Takes the exchange out of the pass: the request moves into the
  // DeferredAnswer (`*request` is empty afterwards), `*response` is not
  // sent when the handler returns, and the answer is whatever the
  // DeferredAnswer sends. Once, on the handler's thread, before AnswerNow.
  DeferredAnswer Defer() const;
  internal::PendingAnswer* pending = nullptr;
};
// A handler given, at once, every request its thread has read in one pass
// over the connections that were ready: work that is cheaper together (a
// model's forward pass over the rows of several requests) is done together
// without waiting for anything. Each exchange is answered on its own
// connection when the handler calls AnswerNow, or else once it returns,
// unless it deferred it.
using BatchHandler = std::function<void(std::span<const Exchange>)>;

// Runs `handle` for one request (of a batch, say): an exception escaping it
// is logged with the request's method and path, and `response` becomes a
// 500 without its details. False when that happened.
bool HandleIsolated(const Request& request, Response& response,
                    const std::function<void()>& handle);

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (see HttpServer::port())
  // Threads serving connections (round robin). Up to this many requests
  // are handled at once; with more connections than threads, a blocking
  // handler delays the other connections of its thread.
  int threads = 64;
  int64_t max_body_bytes = 8 << 20;
  int64_t max_header_bytes = 64 << 10;
  double read_timeout_seconds = 5;   // for a whole request, from its first byte
  double write_timeout_seconds = 5;  // for a whole response
  double keep_alive_seconds = 5;     // idle keep-alive connection lifetime
};

class HttpServer {
 public:
  // Binds and starts serving on background threads; returns once the port
  // is listening (Unavailable naming host:port when it cannot be). `handler`
  // is called concurrently from the threads; an exception escaping it
  // becomes a 500 (the details go to the log).
  static Result<std::unique_ptr<HttpServer>> Start(const ServerOptions& options, Handler handler);
  // The same with a handler of several requests at a time; an exception
  // escaping it answers all of them 500.
  static Result<std::unique_ptr<HttpServer>> Start(const ServerOptions& options,
                                                   BatchHandler handler);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  // Graceful: stops accepting, closes idle connections, lets every request
  // already under way finish and answer (its connection then closes), joins
  // the threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ASCII case-insensitive comparison of header names.
bool HeaderNameEquals(std::string_view a, std::string_view b);

// Reason phrase of a status code ("Too Many Requests").
std::string_view StatusReason(int status);

}  // namespace citadel::http
