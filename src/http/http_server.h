// An HTTP/1.1 server on one port: the only code in Citadel that knows which
// HTTP library serves (cpp-httplib; the choice and its benchmark are in
// docs/benchmarks.md). Callers see plain Request / Response values and one
// handler, so swapping the library touches this module only.
//
// Every connection is served by a thread of a fixed pool; keep-alive is on.
// Limits protect the process: a body over max_body_bytes is answered 413
// without being read, a client that sends nothing for read_timeout is
// dropped, and the pool bounds the threads whatever the clients do.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
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

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;      // 0: any free port (see HttpServer::port())
  int threads = 64;  // connections served at once; more wait for a thread
  int64_t max_body_bytes = 8 << 20;
  double read_timeout_seconds = 5;   // between bytes of a request
  double write_timeout_seconds = 5;  // between bytes of a response
  double keep_alive_seconds = 5;     // idle keep-alive connection lifetime
};

class HttpServer {
 public:
  // Binds and starts serving on background threads; returns once the port
  // is bound (Unavailable naming host:port when it cannot be). `handler` is
  // called concurrently from the pool; an exception escaping it becomes a 500.
  static Result<std::unique_ptr<HttpServer>> Start(const ServerOptions& options, Handler handler);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  // Graceful: stops accepting, lets every request already being handled
  // finish and answer (their connections then close), joins the threads.
  // Idempotent.
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
