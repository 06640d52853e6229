// One client connection of HttpServer (internal to src/http): reads a
// request with Boost.Beast's parser, runs the handler on the thread of the
// connection's io_context, writes the answer, and reads again while
// keep-alive holds. Every member is touched by that one thread only, so
// nothing here locks.
//
// Timeouts are deadlines a per-context sweep checks every 100 ms rather
// than a timer per operation (beast::tcp_stream's re-arms a timer, with its
// system calls, several times per request, and its expiry closes the
// socket, when a client that stops in the middle of a request must still
// be told 408).
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "http/http_server.h"

namespace citadel::http::internal {

class Connection;

// A request of a pass until it is answered (Exchange::AnswerNow, or the
// end of the handler).
struct PendingAnswer {
  std::shared_ptr<Connection> connection;
  Request request;
  bool answered = false;
};

// A request handed out of its pass (Exchange::Defer) until it is sent.
// The work guard keeps its connection's thread running — Stop() waits for
// it — so that the answer always has a thread to be written on.
struct DeferredState {
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  DeferredState(std::shared_ptr<Connection> c, Request r);
  std::shared_ptr<Connection> connection;  // until sent; then taken by its own thread
  Request request;
  boost::asio::io_context* context;  // the connection's thread's
  WorkGuard guard;
  bool sent = false;  // touched only by the DeferredAnswer's owner
};

// What every connection shares, read-only but for `stopping`.
struct ServerShared {
  ServerOptions options;
  BatchHandler handler;
  std::atomic<bool> stopping{false};
};

// A JSON {"error": message} response.
Response ErrorResponse(int status, std::string_view message);

// A handler of one request at a time as a BatchHandler: each request of a
// batch is handled in turn, and one whose handler throws is answered 500
// without affecting the others.
BatchHandler OneAtATime(Handler handler);

// The connections of one io_context: sweeps their deadlines while there are
// any, finds the idle ones for Stop(), and hands the requests read in one
// pass of the event loop to the handler together. Touched by that
// context's thread only.
class ConnectionRegistry {
 public:
  ConnectionRegistry(boost::asio::io_context& context, const ServerShared& shared)
      : context_(context), shared_(shared), sweeper_(context) {}

  void Add(Connection* connection);
  void Remove(Connection* connection) { connections_.erase(connection); }
  boost::asio::io_context& context() { return context_; }
  // Stop(): idle connections close, the others close after their answer.
  void CloseIdle();
  // A request read whole: handled after the other connections that were
  // ready in the same pass have been read (Asio runs a handler posted now
  // after the completions already queued), all of them in one call.
  void Ready(std::shared_ptr<Connection> connection, Request request);

 private:
  void ScheduleSweep();
  void Sweep();
  void Flush();

  boost::asio::io_context& context_;
  const ServerShared& shared_;
  boost::asio::steady_timer sweeper_;
  std::unordered_set<Connection*> connections_;
  std::chrono::steady_clock::time_point last_sweep_;
  bool sweeping_ = false;
  std::vector<PendingAnswer> ready_;
  bool flush_posted_ = false;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Clock = std::chrono::steady_clock;

  Connection(boost::asio::ip::tcp::socket socket, const ServerShared& shared,
             ConnectionRegistry& registry);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Start();
  // Stop(): a connection waiting for its next request closes now; one with a
  // request under way finishes it and closes after answering.
  void CloseIfIdle();
  // The sweep: past its deadline, the pending operation is cancelled and
  // completes with `timed_out_` set. `lag` is how late the sweep runs (its
  // thread was busy in a handler): deadlines move by it, since nobody could
  // read in that time.
  void CheckDeadline(Clock::time_point now, Clock::duration lag);
  // The handler's answer to the request this connection handed to
  // ConnectionRegistry::Ready.
  void Answer(const Request& request, Response response);
  // The event loop this connection lives on (its one thread's).
  boost::asio::io_context& context() { return registry_.context(); }

 private:
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;
  using BeastResponse = boost::beast::http::response<boost::beast::http::string_body>;

  enum class Phase {
    kAwaiting,   // for the first byte of a request (keep-alive or new-connection deadline)
    kReading,    // a request under way (read_timeout from its first byte)
    kHandling,   // in the handler
    kWriting,    // the answer (write_timeout)
    kLingering,  // after a refusal, dropping what the client still sends
  };

  void ReadHeader();
  void OnHeader(boost::system::error_code ec);
  void OnBody(boost::system::error_code ec);
  // A failed read: closes quietly, or answers 400 / 408 / 413 / 431 first.
  void OnReadError(boost::system::error_code ec);
  // A whole request: handed to the registry, which calls Answer.
  void Dispatch();
  void Write(Response response, bool keep_alive, bool head);
  void OnWritten(boost::system::error_code ec);
  // Answers `status` and closes, draining what the client still sends for
  // a moment so that the answer is not lost to a reset.
  void Refuse(int status, std::string message);
  void LingerThenClose();
  void Drain();
  void Close();
  bool RequestStarted() const;

  bool Stopping() const { return shared_.stopping.load(std::memory_order_relaxed); }
  void Arm(double seconds);
  void Disarm() { deadline_ = Clock::time_point::max(); }

  boost::asio::ip::tcp::socket socket_;
  const ServerShared& shared_;
  ConnectionRegistry& registry_;
  // Bounded: Beast's header_limit does not cover chunk-size lines and
  // trailers, which would otherwise grow it for as long as a client sends.
  boost::beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  BeastResponse response_;
  std::string remote_addr_;
  Clock::time_point deadline_ = Clock::time_point::max();
  std::unique_ptr<std::array<char, 4096>> drained_;  // LingerThenClose's scratch
  Phase phase_ = Phase::kAwaiting;
  bool timed_out_ = false;
  bool first_ = true;        // no request answered yet on this connection
  bool keep_alive_ = false;  // of the request being handled
  bool head_ = false;        // the request being handled is a HEAD
  bool closing_ = false;     // answering a refusal; the connection ends after it
};

}  // namespace citadel::http::internal
