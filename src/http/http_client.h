// A blocking HTTP/1.1 client for one host:port with a kept-alive connection
// (the CLI's calls to a running server, and in-process tests). Not
// thread-safe: one client per thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "http/http_server.h"

namespace citadel::http {

struct ClientResponse {
  int status = 0;
  std::string body;
  Headers headers;
  std::string_view Header(std::string_view name) const;
};

class HttpClient {
 public:
  HttpClient(std::string host, int port, double timeout_seconds = 30);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Unavailable naming host:port and the library's reason when no answer
  // came (connection refused, timeout); any HTTP status is a response.
  Result<ClientResponse> Get(std::string_view path, const Headers& headers = {});
  Result<ClientResponse> Post(std::string_view path, std::string_view body,
                              std::string_view content_type, const Headers& headers = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace citadel::http
