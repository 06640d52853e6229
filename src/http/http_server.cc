// HttpServer on Boost.Beast / Asio. One io_context per thread, each run by
// that thread alone; the acceptor has its own, and hands connections to the
// others in turn. A handler runs on its connection's thread: with as many
// threads as connections (the default pool of 64 and fewer connections)
// every request is read, handled and answered by one thread with no
// hand-off, which on this class of machine is what a request costs most
// (docs/benchmarks.md); past that, connections share threads.
#include "http/http_server.h"

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cmath>
#include <thread>

#include "base/logging.h"
#include "http/server_connection.h"

namespace citadel::http {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

}  // namespace

struct HttpServer::Impl {
  using WorkGuard = net::executor_work_guard<net::io_context::executor_type>;

  internal::ServerShared shared;
  net::io_context accept_context{1};
  tcp::acceptor acceptor{accept_context};
  net::steady_timer accept_retry{accept_context};
  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::vector<std::unique_ptr<internal::ConnectionRegistry>> registries;
  std::vector<WorkGuard> guards;
  std::thread accept_thread;
  std::vector<std::thread> threads;
  size_t next = 0;
  int port = 0;
  bool stopped = false;

  void Accept() {
    const size_t i = next++ % contexts.size();
    acceptor.async_accept(*contexts[i], [this, i](boost::system::error_code ec, tcp::socket s) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;  // Stop()
      if (ec) {
        // Out of descriptors or memory: accepting again at once would spin.
        log::Warning("http server: accept failed: {}; retrying in 50 ms", ec.message());
        accept_retry.expires_after(std::chrono::milliseconds(50));
        accept_retry.async_wait([this](boost::system::error_code e) {
          if (!e) Accept();
        });
        return;
      }
      // The connection lives on its own context's thread from its start.
      net::post(*contexts[i], [this, i, socket = std::move(s)]() mutable {
        std::make_shared<internal::Connection>(std::move(socket), shared, *registries[i])->Start();
      });
      Accept();
    });
  }
};

bool HandleIsolated(const Request& request, Response& response,
                    const std::function<void()>& handle) {
  try {
    handle();
    return true;
  } catch (const std::exception& e) {
    // The details go to the log, not to the client.
    log::Error("http: {} {} failed: {}", request.method, request.path, e.what());
  } catch (...) {
    log::Error("http: {} {} failed: unknown exception", request.method, request.path);
  }
  response = internal::ErrorResponse(500, "internal error");
  return false;
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  if (impl_ == nullptr || impl_->stopped) return;
  Impl& s = *impl_;
  const auto self = std::this_thread::get_id();
  for (const std::thread& t : s.threads) {
    if (t.get_id() == self) {
      log::Error("http server: Stop() called from a handler would wait for itself; ignored");
      return;
    }
  }
  s.stopped = true;
  s.shared.stopping = true;
  // No connection is accepted after this: the accept thread ends first, so
  // none is handed to a thread that has already finished.
  net::post(s.accept_context, [&s] {
    boost::system::error_code ignored;
    s.acceptor.close(ignored);
    s.accept_retry.cancel();
  });
  s.accept_thread.join();
  // Idle connections close now; a request under way is answered (with
  // "Connection: close") and its connection closes after. Each context's
  // thread returns once it has nothing left to do.
  for (size_t i = 0; i < s.contexts.size(); ++i) {
    net::post(*s.contexts[i], [registry = s.registries[i].get()] { registry->CloseIdle(); });
  }
  s.guards.clear();
  for (std::thread& t : s.threads) t.join();
}

namespace {

// A context's loop: the handlers catch their own exceptions, so anything
// escaping here is the library's, logged rather than ending the process.
void RunContext(net::io_context& context) {
  while (true) {
    try {
      context.run();
      return;
    } catch (const std::exception& e) {
      log::Error("http server: {}", e.what());
    }
  }
}

bool ValidSeconds(double s) { return std::isfinite(s) && s > 0 && s <= 86400; }

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options,
                                                      Handler handler) {
  return Start(options, internal::OneAtATime(std::move(handler)));
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options,
                                                      BatchHandler handler) {
  if (options.threads < 1 || options.threads > 4096) {
    return InvalidArgumentError("http server: threads must be between 1 and 4096");
  }
  if (options.max_body_bytes < 1 || options.max_header_bytes < 1 ||
      options.max_header_bytes > (16 << 20)) {
    return InvalidArgumentError(
        "http server: max_body_bytes must be positive and max_header_bytes between 1 and 16 MiB");
  }
  if (!ValidSeconds(options.read_timeout_seconds) || !ValidSeconds(options.write_timeout_seconds) ||
      !ValidSeconds(options.keep_alive_seconds)) {
    return InvalidArgumentError(
        "http server: read, write and keep-alive timeouts must be between 0 and 86400 s");
  }
  auto impl = std::make_unique<Impl>();
  impl->shared.options = options;
  impl->shared.handler = std::move(handler);

  boost::system::error_code ec;
  tcp::resolver resolver(impl->accept_context);
  auto endpoints = resolver.resolve(options.host, std::to_string(options.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return InvalidArgumentError(
        fmt::format("http server: cannot resolve host '{}': {}", options.host, ec.message()));
  }
  const tcp::endpoint endpoint = *endpoints.begin();
  tcp::acceptor& acceptor = impl->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return UnavailableError(
        fmt::format("http server: cannot listen on {}:{} ({}); choose another --port", options.host,
                    options.port, ec.message()));
  }
  impl->port = acceptor.local_endpoint().port();

  for (int i = 0; i < options.threads; ++i) {
    impl->contexts.push_back(std::make_unique<net::io_context>(1));
    impl->registries.push_back(
        std::make_unique<internal::ConnectionRegistry>(*impl->contexts[i], impl->shared));
    impl->guards.push_back(net::make_work_guard(*impl->contexts[i]));
  }
  impl->Accept();
  Impl* raw = impl.get();
  impl->accept_thread = std::thread([raw] { RunContext(raw->accept_context); });
  for (auto& context : impl->contexts) {
    impl->threads.emplace_back([c = context.get()] { RunContext(*c); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

}  // namespace citadel::http
