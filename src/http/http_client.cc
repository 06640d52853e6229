#include "http/http_client.h"

#include <fmt/format.h>
#include <httplib.h>

namespace citadel::http {
namespace {

httplib::Headers ToLibrary(const Headers& headers) {
  httplib::Headers out;
  for (const auto& [key, value] : headers) out.emplace(key, value);
  return out;
}

}  // namespace

std::string_view ClientResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (HeaderNameEquals(key, name)) return value;
  }
  return {};
}

struct HttpClient::Impl {
  Impl(const std::string& h, int p) : host(h), port(p), client(h, p) {}
  std::string host;
  int port;
  httplib::Client client;

  Result<ClientResponse> Convert(const httplib::Result& r, std::string_view method,
                                 std::string_view path) {
    if (!r) {
      return UnavailableError(fmt::format("{} http://{}:{}{}: {}", method, host, port, path,
                                          httplib::to_string(r.error())));
    }
    ClientResponse out;
    out.status = r->status;
    out.body = r->body;
    for (const auto& [key, value] : r->headers) out.headers.emplace_back(key, value);
    return out;
  }
};

HttpClient::HttpClient(std::string host, int port, double timeout_seconds)
    : impl_(std::make_unique<Impl>(host, port)) {
  auto whole = static_cast<time_t>(timeout_seconds);
  auto micros = static_cast<time_t>((timeout_seconds - static_cast<double>(whole)) * 1e6);
  impl_->client.set_connection_timeout(whole, micros);
  impl_->client.set_read_timeout(whole, micros);
  impl_->client.set_write_timeout(whole, micros);
  impl_->client.set_keep_alive(true);
  impl_->client.set_tcp_nodelay(true);
}

HttpClient::~HttpClient() = default;

Result<ClientResponse> HttpClient::Get(std::string_view path, const Headers& headers) {
  std::string p(path);
  return impl_->Convert(impl_->client.Get(p.c_str(), ToLibrary(headers)), "GET", path);
}

Result<ClientResponse> HttpClient::Post(std::string_view path, std::string_view body,
                                        std::string_view content_type, const Headers& headers) {
  std::string p(path);
  return impl_->Convert(impl_->client.Post(p.c_str(), ToLibrary(headers), body.data(), body.size(),
                                           std::string(content_type).c_str()),
                        "POST", path);
}

}  // namespace citadel::http
