#include "http/http_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

#include "base/logging.h"

namespace citadel::http {
namespace {

// cpp-httplib 0.11 listens with a backlog of 5: 64 clients connecting at
// once lose SYNs and wait out 1 s and 3 s retransmits. Linux lets listen()
// be called again on a listening socket to change its backlog, and the
// library keeps its socket private, so find it among our descriptors by its
// bound port and raise the backlog to the system's maximum.
void RaiseListenBacklog(int port) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    int fd = -1;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    int listening = 0;
    socklen_t len = sizeof(listening);
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) continue;
    sockaddr_storage addr{};
    socklen_t addr_len = sizeof(addr);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &addr_len) != 0) continue;
    int bound = -1;
    if (addr.ss_family == AF_INET) bound = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    if (addr.ss_family == AF_INET6)
      bound = ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    if (bound == port && ::listen(fd, SOMAXCONN) != 0) {
      log::Warning("http server: cannot raise the listen backlog of port {}", port);
    }
  }
}

}  // namespace

bool HeaderNameEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

namespace {

std::pair<time_t, time_t> SplitSeconds(double seconds) {
  auto whole = static_cast<time_t>(seconds);
  auto micros = static_cast<time_t>(std::llround((seconds - static_cast<double>(whole)) * 1e6));
  return {whole, micros};
}

}  // namespace

std::string_view Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (HeaderNameEquals(key, name)) return value;
  }
  return {};
}

bool Request::HasHeader(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (HeaderNameEquals(key, name)) return true;
  }
  return false;
}

struct HttpServer::Impl {
  httplib::Server server;
  std::thread listener;
  int port = 0;
  bool stopped = false;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  if (impl_ == nullptr || impl_->stopped) return;
  impl_->stopped = true;
  // stop() closes the listening socket; the listener thread then shuts the
  // pool down, which waits for every connection task: requests in flight
  // finish and answer, keep-alive connections close after their current
  // request.
  impl_->server.stop();
  if (impl_->listener.joinable()) impl_->listener.join();
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options,
                                                      Handler handler) {
  if (options.threads < 1) return InvalidArgumentError("http server: threads must be at least 1");
  if (options.max_body_bytes < 1) {
    return InvalidArgumentError("http server: max_body_bytes must be positive");
  }
  auto impl = std::make_unique<Impl>();
  httplib::Server& s = impl->server;
  const int threads = options.threads;
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s.set_payload_max_length(static_cast<size_t>(options.max_body_bytes));
  auto [rs, ru] = SplitSeconds(options.read_timeout_seconds);
  s.set_read_timeout(rs, ru);
  auto [ws, wu] = SplitSeconds(options.write_timeout_seconds);
  s.set_write_timeout(ws, wu);
  s.set_keep_alive_timeout(static_cast<time_t>(std::ceil(options.keep_alive_seconds)));
  s.set_keep_alive_max_count(100000);
  s.set_tcp_nodelay(true);

  auto shared = std::make_shared<Handler>(std::move(handler));
  auto adapter = [shared](const httplib::Request& in, httplib::Response& out) {
    Request req;
    req.method = in.method;
    req.path = in.path;
    if (size_t q = in.target.find('?'); q != std::string::npos) req.query = in.target.substr(q + 1);
    req.headers.reserve(in.headers.size());
    for (const auto& [key, value] : in.headers) req.headers.emplace_back(key, value);
    req.body = in.body;
    req.remote_addr = in.remote_addr;
    Response res;
    (*shared)(req, res);
    out.status = res.status;
    for (const auto& [key, value] : res.headers) out.set_header(key, value);
    out.set_content(std::move(res.body), res.content_type);
  };
  // One catch-all route per method: routing is the caller's (a regex per
  // route in the library would cost more than our own path split).
  s.Get(".*", adapter);
  s.Post(".*", adapter);
  s.Put(".*", adapter);
  s.Delete(".*", adapter);
  s.Patch(".*", adapter);
  s.set_exception_handler(
      [](const httplib::Request& in, httplib::Response& out, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        // The details go to the log, not to the client.
        log::Error("http: {} {} failed: {}", in.method, in.path, what);
        out.status = 500;
        out.set_content(R"({"error":"internal error"})", "application/json");
      });
  // The library's own error pages (413, 404 without a route, 400 for a
  // malformed request line) as JSON errors like every other answer.
  s.set_error_handler([](const httplib::Request&, httplib::Response& out) {
    if (!out.body.empty()) return;
    out.set_content(fmt::format("{{\"error\":\"{} {}\"}}", out.status, StatusReason(out.status)),
                    "application/json");
  });

  int port = options.port;
  if (port == 0) {
    port = s.bind_to_any_port(options.host);
    if (port < 0) {
      return UnavailableError(fmt::format("http server: cannot bind {}:0", options.host));
    }
  } else if (!s.bind_to_port(options.host, port)) {
    return UnavailableError(fmt::format(
        "http server: cannot bind {}:{} (in use, or not allowed); choose another --port",
        options.host, port));
  }
  impl->port = port;
  RaiseListenBacklog(port);
  httplib::Server* raw = &s;
  impl->listener = std::thread([raw] { raw->listen_after_bind(); });
  // stop() before the accept loop runs would be lost (the library only
  // closes a running server's socket): return once it runs.
  while (!s.is_running()) std::this_thread::sleep_for(std::chrono::microseconds(200));
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

std::string_view StatusReason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "";
  }
}

}  // namespace citadel::http
