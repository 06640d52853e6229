#include "http/server_connection.h"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>

#include "base/logging.h"
#include "base/text/json.h"

namespace citadel::http::internal {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using namespace std::string_view_literals;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// After a refusal, what the client still sends is read and dropped for at
// most this long, so that closing does not reset the connection (and
// discard our answer) before the client has read it.
constexpr double kLingerSeconds = 1.0;
constexpr auto kSweepInterval = std::chrono::milliseconds(100);
// Room in the read buffer beyond the header limit: the body passes through
// it in pieces, and chunk-size lines and trailers must fit in it.
constexpr size_t kBufferSlack = 64 << 10;
// What one read asks the socket for. Beast reads max(512, free capacity):
// without room reserved up front, a 1.4 KB inference request came in three
// reads, each with its own pass through the event loop (docs/benchmarks.md,
// serving).
constexpr size_t kReadChunk = 16 << 10;

Connection::Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Connection::Clock::duration>(std::chrono::duration<double>(s));
}

// Why `response` cannot be written as it is ("" when it can): a status
// Beast refuses, or a header that would split the response.
std::string ResponseProblem(const Response& response) {
  if (response.status < 100 || response.status > 999) {
    return fmt::format("status {}", response.status);
  }
  auto bad_value = [](std::string_view v) { return v.find_first_of("\r\n\0"sv) != v.npos; };
  if (bad_value(response.content_type)) return "a line break in Content-Type";
  for (const auto& [name, value] : response.headers) {
    if (name.empty() || name.find_first_of(" \t:\r\n\0"sv) != name.npos) {
      return fmt::format("header name '{}'", name);
    }
    if (bad_value(value)) return fmt::format("a line break in header {}", name);
  }
  return "";
}

// Beast (Boost 1.74) hands out boost::string_view.
std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace

Response ErrorResponse(int status, std::string_view message) {
  Response response;
  response.status = status;
  response.body = Json{{"error", message}}.dump();
  return response;
}

}  // namespace citadel::http::internal

namespace citadel::http {

void Exchange::AnswerNow() const {
  if (pending == nullptr || pending->answered) return;
  pending->answered = true;
  pending->connection->Answer(pending->request, std::move(*response));
}

DeferredAnswer Exchange::Defer() const {
  if (pending == nullptr || pending->answered) return {};
  // Out of memory, nothing has moved yet and the pass still answers it.
  auto state = std::make_shared<internal::DeferredState>(std::move(pending->connection),
                                                         std::move(pending->request));
  pending->answered = true;  // the pass no longer answers it
  return DeferredAnswer(std::move(state));
}

DeferredAnswer& DeferredAnswer::operator=(DeferredAnswer&& other) noexcept {
  if (this != &other) {
    Abandon();
    state_ = std::move(other.state_);
  }
  return *this;
}

DeferredAnswer::~DeferredAnswer() { Abandon(); }

void DeferredAnswer::Abandon() noexcept {
  if (state_ == nullptr || state_->sent) return;
  try {
    log::Error("http: {} {}: the handler dropped its deferred answer; answering 500",
               state_->request.method, state_->request.path);
    Send(internal::ErrorResponse(500, "internal error"));
  } catch (const std::exception& e) {  // out of memory: the connection closes with the server
    log::Error("http: a deferred answer could not be sent: {}", e.what());
  }
}

const Request& DeferredAnswer::request() const { return state_->request; }

void DeferredAnswer::Send(Response response) {
  if (state_ == nullptr || state_->sent) return;
  // The connection is dropped by its own thread only (its registry is that
  // thread's): this DeferredAnswer, which may be destroyed anywhere, keeps
  // no reference to it once sent.
  if (state_->context->get_executor().running_in_this_thread()) {
    state_->sent = true;
    const std::shared_ptr<internal::Connection> connection = std::move(state_->connection);
    connection->Answer(state_->request, std::move(response));
  } else {
    // Out of memory, post throws with the answer still owed (a 500 when
    // this is destroyed). After it, this thread no longer touches the
    // connection: the posted write takes it, on its own thread.
    boost::asio::post(*state_->context, [state = state_, response = std::move(response)]() mutable {
      const std::shared_ptr<internal::Connection> connection = std::move(state->connection);
      connection->Answer(state->request, std::move(response));
    });
    state_->sent = true;
  }
  // The queued write is work of its own: the thread runs until it is done.
  state_->guard.reset();
}

void DeferredAnswer::Post(std::function<void()> task) const {
  boost::asio::post(*state_->context, std::move(task));
}

}  // namespace citadel::http

namespace citadel::http::internal {

DeferredState::DeferredState(std::shared_ptr<Connection> c, Request r)
    : connection(std::move(c)),
      request(std::move(r)),
      context(&connection->context()),
      guard(boost::asio::make_work_guard(*context)) {}

BatchHandler OneAtATime(Handler handler) {
  return [handler = std::move(handler)](std::span<const Exchange> exchanges) {
    for (const Exchange& x : exchanges) {
      HandleIsolated(*x.request, *x.response, [&] { handler(*x.request, *x.response); });
    }
  };
}

void ConnectionRegistry::Ready(std::shared_ptr<Connection> connection, Request request) {
  ready_.push_back({std::move(connection), std::move(request), false});
  if (!flush_posted_) {
    flush_posted_ = true;
    net::post(context_, [this] { Flush(); });
  }
}

void ConnectionRegistry::Flush() {
  flush_posted_ = false;
  std::vector<PendingAnswer> batch;
  batch.swap(ready_);
  std::vector<Response> responses(batch.size());
  std::vector<Exchange> exchanges;
  exchanges.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    exchanges.push_back({&batch[i].request, &responses[i], &batch[i]});
  }
  try {
    shared_.handler(exchanges);
  } catch (const std::exception& e) {
    log::Error("http: a handler of {} requests failed: {}", batch.size(), e.what());
    for (Response& r : responses) r = ErrorResponse(500, "internal error");
  } catch (...) {
    log::Error("http: a handler of {} requests failed: unknown exception", batch.size());
    for (Response& r : responses) r = ErrorResponse(500, "internal error");
  }
  for (const Exchange& x : exchanges) x.AnswerNow();  // those not answered yet
}

void ConnectionRegistry::Add(Connection* connection) {
  connections_.insert(connection);
  if (!sweeping_) {
    sweeping_ = true;
    last_sweep_ = Connection::Clock::now();
    ScheduleSweep();
  }
}

void ConnectionRegistry::ScheduleSweep() {
  sweeper_.expires_after(kSweepInterval);
  sweeper_.async_wait([this](boost::system::error_code ec) {
    if (!ec) Sweep();
  });
}

void ConnectionRegistry::Sweep() {
  if (connections_.empty()) {
    sweeping_ = false;  // an idle context does not wake up; Add starts it again
    return;
  }
  const auto now = Connection::Clock::now();
  // Late by more than a tick: this thread was in a handler.
  auto lag = now - last_sweep_ - kSweepInterval;
  if (lag < kSweepInterval) lag = Connection::Clock::duration::zero();
  last_sweep_ = now;
  // Cancelling only queues completions, so the set does not change under us.
  for (Connection* c : connections_) c->CheckDeadline(now, lag);
  ScheduleSweep();
}

void ConnectionRegistry::CloseIdle() {
  for (Connection* c : connections_) c->CloseIfIdle();
}

Connection::Connection(net::ip::tcp::socket socket, const ServerShared& shared,
                       ConnectionRegistry& registry)
    : socket_(std::move(socket)),
      shared_(shared),
      registry_(registry),
      buffer_(static_cast<size_t>(shared.options.max_header_bytes) + kBufferSlack) {
  boost::system::error_code ec;
  const auto endpoint = socket_.remote_endpoint(ec);
  if (!ec) remote_addr_ = endpoint.address().to_string();
  socket_.set_option(net::ip::tcp::no_delay(true), ec);
  buffer_.reserve(kReadChunk);
  registry_.Add(this);
}

Connection::~Connection() { registry_.Remove(this); }

void Connection::Start() { ReadHeader(); }

bool Connection::RequestStarted() const {
  return phase_ != Phase::kAwaiting || buffer_.size() > 0 || (parser_ && parser_->got_some());
}

void Connection::CloseIfIdle() {
  // Runs after `stopping` is set. Cancelled, the pending read completes as aborted and closes; a
  // request already read whose completion is queued is still answered.
  if (phase_ != Phase::kAwaiting || RequestStarted()) return;
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

void Connection::Arm(double seconds) {
  timed_out_ = false;
  deadline_ = Clock::now() + Seconds(seconds);
}

void Connection::CheckDeadline(Clock::time_point now, Clock::duration lag) {
  if (deadline_ == Clock::time_point::max()) return;
  deadline_ += lag;
  // The first bytes of a request arrived: from now the whole request has
  // read_timeout, however long the keep-alive wait allowed.
  if (phase_ == Phase::kAwaiting && RequestStarted()) {
    phase_ = Phase::kReading;
    deadline_ = std::min(deadline_, now + Seconds(shared_.options.read_timeout_seconds));
  }
  if (now < deadline_) return;
  if (phase_ == Phase::kAwaiting || phase_ == Phase::kReading) {
    // Bytes wait unread in the socket: the client was on time.
    boost::system::error_code ec;
    if (socket_.available(ec) > 0 && !ec) return;
  }
  deadline_ = Clock::time_point::max();
  timed_out_ = true;
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

void Connection::ReadHeader() {
  if (Stopping()) return Close();
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(shared_.options.max_header_bytes));
  parser_->body_limit(static_cast<uint64_t>(shared_.options.max_body_bytes));
  phase_ = Phase::kAwaiting;
  // A new connection has read_timeout to send its first request; a kept-
  // alive one may wait keep_alive_seconds for its next.
  Arm(first_ ? shared_.options.read_timeout_seconds : shared_.options.keep_alive_seconds);
  bhttp::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](boost::system::error_code ec, size_t) { self->OnHeader(ec); });
}

void Connection::OnHeader(boost::system::error_code ec) {
  if (ec) return OnReadError(ec);
  if (phase_ == Phase::kAwaiting) {
    // The whole header came before a sweep saw its first byte.
    phase_ = Phase::kReading;
    Arm(shared_.options.read_timeout_seconds);
  }
  // The body, or part of it, came with the header (the usual case): it is
  // parsed here rather than by another asynchronous read, which would cost
  // a trip through the event loop without touching the socket.
  while (!parser_->is_done() && buffer_.size() > 0) {
    beast::error_code put_ec;
    const size_t used = parser_->put(buffer_.data(), put_ec);
    buffer_.consume(used);
    if (put_ec == bhttp::error::need_more) break;
    if (put_ec) return OnReadError(put_ec);
    if (used == 0) break;
  }
  if (parser_->is_done()) {
    Disarm();
    return Dispatch();
  }
  auto read_body = [self = shared_from_this()] {
    bhttp::async_read(self->socket_, self->buffer_, *self->parser_,
                      [self](boost::system::error_code ec, size_t) { self->OnBody(ec); });
  };
  // A client that asked to hear "100 Continue" before sending its body
  // (curl does, for large bodies) is told so; a body over the limit never
  // gets this far.
  const auto& header = parser_->get();
  auto expect = header.find(bhttp::field::expect);
  if (expect != header.end() && beast::iequals(expect->value(), "100-continue")) {
    net::async_write(socket_, net::buffer(kContinue.data(), kContinue.size()),
                     [self = shared_from_this(), read_body](boost::system::error_code ec, size_t) {
                       if (ec) return self->OnReadError(ec);
                       read_body();
                     });
    return;
  }
  read_body();
}

void Connection::OnBody(boost::system::error_code ec) {
  if (ec) return OnReadError(ec);
  Disarm();
  Dispatch();
}

void Connection::OnReadError(boost::system::error_code ec) {
  Disarm();
  const bool started = RequestStarted();
  if (timed_out_) {
    // Nothing sent: an idle connection ends quietly. Part of a request: the
    // client hears why.
    if (!started) return Close();
    return Refuse(408, fmt::format("the request did not arrive within {} s",
                                   shared_.options.read_timeout_seconds));
  }
  if (ec == bhttp::error::body_limit) {
    return Refuse(413, fmt::format("the request body is over the server's limit of {} bytes",
                                   shared_.options.max_body_bytes));
  }
  if (ec == bhttp::error::header_limit) {
    return Refuse(431, fmt::format("the request headers are over the server's limit of {} bytes",
                                   shared_.options.max_header_bytes));
  }
  if (ec == bhttp::error::buffer_overflow) {
    return Refuse(400, "a chunk header or trailer of the request is over the server's limit");
  }
  // The client closed, reset, or we were stopped: nobody to answer.
  if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
      ec == net::error::operation_aborted || ec == net::error::connection_reset ||
      ec == net::error::broken_pipe || !started) {
    return Close();
  }
  return Refuse(400, fmt::format("malformed HTTP request: {}", ec.message()));
}

void Connection::Dispatch() {
  phase_ = Phase::kHandling;
  auto& message = parser_->get();
  Request request;
  request.method = std::string(View(message.method_string()));
  const std::string_view target = View(message.target());
  const size_t q = target.find('?');
  request.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) request.query = std::string(target.substr(q + 1));
  request.headers.reserve(static_cast<size_t>(std::distance(message.begin(), message.end())));
  for (const auto& field : message) {
    request.headers.emplace_back(View(field.name_string()), View(field.value()));
  }
  request.body = std::move(message.body());
  request.remote_addr = remote_addr_;
  keep_alive_ = message.keep_alive();
  head_ = message.method() == bhttp::verb::head;
  registry_.Ready(shared_from_this(), std::move(request));
}

void Connection::Answer(const Request& request, Response response) {
  if (const std::string problem = ResponseProblem(response); !problem.empty()) {
    log::Error("http: {} {}: the handler's response is not valid HTTP: {}", request.method,
               request.path, problem);
    response = ErrorResponse(500, "internal error");
  }
  Write(std::move(response), keep_alive_ && !Stopping(), head_);
}

void Connection::Write(Response response, bool keep_alive, bool head) {
  phase_ = Phase::kWriting;
  response_ = {};
  response_.version(11);
  response_.result(static_cast<unsigned>(response.status));
  response_.set(bhttp::field::content_type, response.content_type);
  for (auto& [name, value] : response.headers) response_.insert(name, value);
  response_.keep_alive(keep_alive);
  if (head) {
    // The length the body would have, and no body.
    response_.content_length(response.body.size());
  } else {
    response_.body() = std::move(response.body);
    response_.prepare_payload();
  }
  Arm(shared_.options.write_timeout_seconds);
  bhttp::async_write(
      socket_, response_,
      [self = shared_from_this()](boost::system::error_code ec, size_t) { self->OnWritten(ec); });
}

void Connection::OnWritten(boost::system::error_code ec) {
  Disarm();
  if (ec) return Close();
  if (closing_) return LingerThenClose();
  if (!response_.keep_alive()) return Close();
  first_ = false;
  ReadHeader();
}

void Connection::Refuse(int status, std::string message) {
  closing_ = true;
  Write(ErrorResponse(status, message), /*keep_alive=*/false, /*head=*/false);
}

void Connection::LingerThenClose() {
  phase_ = Phase::kLingering;
  boost::system::error_code ignored;
  socket_.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  drained_ = std::make_unique<std::array<char, 4096>>();
  Arm(kLingerSeconds);
  Drain();
}

// Reads and drops until the client closes, the linger time passes, or an
// error.
void Connection::Drain() {
  socket_.async_read_some(net::buffer(*drained_),
                          [self = shared_from_this()](boost::system::error_code ec, size_t) {
                            if (ec) return self->Close();
                            self->Drain();
                          });
}

void Connection::Close() {
  Disarm();
  boost::system::error_code ignored;
  socket_.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace citadel::http::internal
