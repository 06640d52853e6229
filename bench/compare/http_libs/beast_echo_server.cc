// Boost.Beast/Asio side of the HTTP library comparison
// (bench/compare/http_libs.sh): POST /echo answers the request body as
// application/json, GET /health 200 — the same handler as
// httplib_echo_server. The usual Beast shape for a multi-core server: one
// io_context per thread, each run by exactly that thread (so no strands or
// locks), an acceptor handing connections to the contexts in turn, and one
// asynchronous session per connection (read, answer, write, read again while
// keep-alive). TCP_NODELAY and a 5 s idle timeout, like the httplib server.
//
//   beast_echo_server THREADS [PORT]    # PORT 0 or absent: any free port
//
// Prints "port N" on stdout once listening; serves until killed.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr auto kIdleTimeout = std::chrono::seconds(5);

// One connection; lives as long as an operation of it is pending.
class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket&& socket) : stream_(std::move(socket)) {}

  void Read() {
    request_ = {};
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, request_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

 private:
  void OnRead(beast::error_code ec, std::size_t) {
    if (ec) {
      // end_of_stream: the client closed; anything else: drop the connection.
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      return;
    }
    response_ = {};
    response_.version(request_.version());
    response_.keep_alive(request_.keep_alive());
    if (request_.method() == http::verb::post && request_.target() == "/echo") {
      response_.result(http::status::ok);
      response_.body() = std::move(request_.body());
    } else if (request_.method() == http::verb::get && request_.target() == "/health") {
      response_.result(http::status::ok);
      response_.body() = "{}";
    } else {
      response_.result(http::status::not_found);
      response_.body() = R"({"error":"not found"})";
    }
    response_.set(http::field::content_type, "application/json");
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    if (ec) return;
    if (!response_.keep_alive()) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      return;
    }
    Read();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

// Accepts on the first context and gives each connection to the next
// context in turn.
class Listener {
 public:
  Listener(net::io_context& accept_context, std::vector<std::unique_ptr<net::io_context>>& contexts,
           tcp::endpoint endpoint)
      : acceptor_(accept_context), contexts_(contexts) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }

  unsigned short port() const { return acceptor_.local_endpoint().port(); }

  void Accept() {
    net::io_context& target = *contexts_[next_++ % contexts_.size()];
    acceptor_.async_accept(target, [this](beast::error_code ec, tcp::socket socket) {
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        // Start the session on its own context's thread: that thread alone
        // touches the connection from then on.
        auto executor = socket.get_executor();
        net::post(executor, [s = std::move(socket)]() mutable {
          std::make_shared<Session>(std::move(s))->Read();
        });
      }
      Accept();
    });
  }

 private:
  tcp::acceptor acceptor_;
  std::vector<std::unique_ptr<net::io_context>>& contexts_;
  size_t next_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s THREADS [PORT]\n", argv[0]);
    return 2;
  }
  const int threads = std::atoi(argv[1]);
  const int port = argc == 3 ? std::atoi(argv[2]) : 0;
  if (threads < 1 || port < 0 || port > 65535) {
    std::fprintf(stderr, "%s: bad THREADS or PORT\n", argv[0]);
    return 2;
  }
  std::vector<std::unique_ptr<net::io_context>> contexts;
  for (int i = 0; i < threads; ++i) contexts.push_back(std::make_unique<net::io_context>(1));
  try {
    Listener listener(
        *contexts[0], contexts,
        tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
    listener.Accept();
    std::printf("port %u\n", listener.port());
    std::fflush(stdout);
    std::vector<std::thread> running;
    for (int i = 1; i < threads; ++i) {
      running.emplace_back([&contexts, i] {
        auto guard = net::make_work_guard(*contexts[i]);
        contexts[i]->run();
      });
    }
    contexts[0]->run();
    for (auto& t : running) t.join();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
  return 0;
}
