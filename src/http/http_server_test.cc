// HttpServer on real loopback sockets: requests and answers, the limits
// that protect it (413, 431, 408, 400), keep-alive, 100-continue, handler
// failures, concurrency with blocking handlers, and the graceful Stop.
#include "http/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <span>
#include <thread>

#include "base/text/json.h"
#include "http/http_client.h"

namespace citadel::http {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A client socket speaking raw bytes, for what a well-behaved client never
// sends. Reads time out after 5 s so that a hung server fails the test.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  bool Send(std::string_view bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // The head of one response alone (a response to HEAD has no body); ""
  // when the connection closed (or timed out) first.
  std::string ReadHead() {
    size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return "";
    }
    std::string head = pending_.substr(0, end + 4);
    pending_.erase(0, end + 4);
    return head;
  }
  // One response: its head and the Content-Length bytes after it.
  std::string ReadResponse() {
    std::string response = ReadHead();
    const size_t at = response.find("Content-Length: ");
    const size_t length = at == std::string::npos ? 0 : std::stoul(response.substr(at + 16));
    while (pending_.size() < length) {
      if (!Fill()) return "";
    }
    response += pending_.substr(0, length);
    pending_.erase(0, length);
    return response;
  }
  // True once the server has closed its side (after anything it sent).
  bool ClosedByServer() {
    while (Fill()) {
    }
    return eof_;
  }

 private:
  bool Fill() {
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) eof_ = true;
    if (n <= 0) return false;
    pending_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  bool connected_ = false;
  bool eof_ = false;
  std::string pending_;
};

int StatusOf(const std::string& response) {
  return response.size() > 12 ? std::stoi(response.substr(9, 3)) : 0;
}

std::string BodyOf(const std::string& response) {
  const size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

// Answers GET /echo with what it saw, POST /echo with the body, and more.
void TestHandler(const Request& req, Response& res) {
  if (req.path == "/throw") throw std::runtime_error("secret detail");
  if (req.path == "/bad-status") {
    res.status = 1200;
    return;
  }
  if (req.path == "/split") {
    res.headers.emplace_back("X-Echo", "a\r\nSet-Cookie: stolen=1");
    return;
  }
  if (req.path == "/sleep") std::this_thread::sleep_for(std::chrono::milliseconds(400));
  if (req.method == "POST") {
    res.body = req.body;
    res.content_type = "text/plain";
    return;
  }
  res.body = Json{{"method", req.method},
                  {"path", req.path},
                  {"query", req.query},
                  {"token", std::string(req.Header("x-token"))},
                  {"has_missing", req.HasHeader("X-Missing")},
                  {"remote", req.remote_addr}}
                 .dump();
  res.headers.emplace_back("X-Answer", "42");
}

std::unique_ptr<HttpServer> StartServer(ServerOptions options = {}, Handler handler = TestHandler) {
  auto server = HttpServer::Start(options, std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(*server) : nullptr;
}

TEST(HttpServer, AnswersRequestsWithTheirPathQueryHeadersAndBody) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  HttpClient client("127.0.0.1", server->port(), 5);
  auto got = client.Get("/v2/models/a%20b?x=1&y=2", {{"X-TOKEN", "t0k"}});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->Header("x-answer"), "42");
  EXPECT_EQ(got->Header("Content-Type"), "application/json");
  const Json j = Json::parse(got->body);
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["path"], "/v2/models/a%20b");  // not percent-decoded
  EXPECT_EQ(j["query"], "x=1&y=2");
  EXPECT_EQ(j["token"], "t0k");  // header names match whatever their case
  EXPECT_EQ(j["has_missing"], false);
  EXPECT_EQ(j["remote"], "127.0.0.1");

  const std::string body(300000, 'b');
  auto posted = client.Post("/echo", body, "application/octet-stream");
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  EXPECT_EQ(posted->body, body);
  EXPECT_EQ(posted->Header("Content-Type"), "text/plain");
}

TEST(HttpServer, KeepsConnectionsAliveAndAnswersPipelinedRequestsInOrder) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  RawConnection c(server->port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(
      c.Send("GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_NE(c.ReadResponse().find("\"path\":\"/first\""), std::string::npos);
  EXPECT_NE(c.ReadResponse().find("\"path\":\"/second\""), std::string::npos);
  ASSERT_TRUE(c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"));
  EXPECT_EQ(BodyOf(c.ReadResponse()), "hello");
  // HTTP/1.0 without keep-alive: answered, then closed.
  ASSERT_TRUE(c.Send("GET /last HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(StatusOf(c.ReadResponse()), 200);
  EXPECT_TRUE(c.ClosedByServer());
}

TEST(HttpServer, AHandlerExceptionIsA500WithoutItsDetailsAndTheServerStaysUp) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  HttpClient client("127.0.0.1", server->port(), 5);
  auto failed = client.Get("/throw");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status, 500);
  EXPECT_EQ(Json::parse(failed->body)["error"], "internal error");
  EXPECT_EQ(failed->body.find("secret"), std::string::npos);
  // Answers that are not valid HTTP (a status Beast refuses, a header that
  // would split the response) are 500s too, never a dead thread.
  EXPECT_EQ(client.Get("/bad-status")->status, 500);
  auto split = client.Get("/split");
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(split->status, 500);
  EXPECT_TRUE(split->Header("Set-Cookie").empty());
  EXPECT_EQ(client.Get("/after")->status, 200);

  // HEAD: the length the body would have, no body, and the connection stays in step.
  RawConnection c(server->port());
  ASSERT_TRUE(c.Send("HEAD /x HTTP/1.1\r\nHost: x\r\n\r\nGET /y HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string head = c.ReadHead();
  EXPECT_EQ(StatusOf(head), 200) << head;
  EXPECT_EQ(head.find("Content-Length: 0\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Length: "), std::string::npos) << head;
  EXPECT_NE(c.ReadResponse().find("\"path\":\"/y\""), std::string::npos);
}

TEST(HttpServer, ABatchHandlerGetsTogetherTheRequestsItsThreadReadInOnePass) {
  ServerOptions options;
  options.threads = 1;  // every connection on the same thread
  std::atomic<size_t> largest{0};
  BatchHandler handler = [&](std::span<const Exchange> exchanges) {
    size_t seen = largest.load();
    while (seen < exchanges.size() && !largest.compare_exchange_weak(seen, exchanges.size())) {
    }
    for (const Exchange& x : exchanges) {
      if (x.request->path == "/throw") throw std::runtime_error("secret detail");
      if (x.request->path == "/hold") std::this_thread::sleep_for(std::chrono::milliseconds(300));
      x.response->body = x.request->path;
      x.response->content_type = "text/plain";
    }
  };
  auto started = HttpServer::Start(options, handler);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  const int port = (*started)->port();

  // While the thread holds one request, four more arrive on other
  // connections: they are handled in one call, each answered on its own
  // connection.
  RawConnection holder(port);
  ASSERT_TRUE(holder.Send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::vector<std::unique_ptr<RawConnection>> others;
  for (int i = 0; i < 4; ++i) {
    others.push_back(std::make_unique<RawConnection>(port));
    ASSERT_TRUE(others.back()->Send("GET /r" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
  }
  EXPECT_EQ(BodyOf(holder.ReadResponse()), "/hold");
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(BodyOf(others[i]->ReadResponse()), "/r" + std::to_string(i));
  EXPECT_EQ(largest.load(), 4u);

  // A handler that throws answers its whole batch 500, without details, and
  // the thread goes on serving.
  ASSERT_TRUE(holder.Send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(others[0]->Send("GET /throw HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(others[1]->Send("GET /fine HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(BodyOf(holder.ReadResponse()), "/hold");
  for (int i = 0; i < 2; ++i) {
    const std::string r = others[i]->ReadResponse();
    EXPECT_EQ(StatusOf(r), 500) << r;
    EXPECT_EQ(r.find("secret"), std::string::npos) << r;
  }
  ASSERT_TRUE(others[2]->Send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(BodyOf(others[2]->ReadResponse()), "/after");
}

// A handler can send one answer of its pass before it returns: the client
// of /early gets its answer while the handler still holds /slow, which it
// releases only once that answer has arrived.
TEST(HttpServer, AnAnswerSentEarlyDoesNotWaitForTheRestOfThePass) {
  ServerOptions options;
  options.threads = 1;  // every connection on the same thread
  std::atomic<bool> early_arrived{false};
  std::atomic<size_t> largest{0};
  BatchHandler handler = [&](std::span<const Exchange> exchanges) {
    largest = std::max(largest.load(), exchanges.size());
    for (const Exchange& x : exchanges) {
      x.response->content_type = "text/plain";
      if (x.request->path == "/hold") std::this_thread::sleep_for(std::chrono::milliseconds(300));
      if (x.request->path == "/early") {
        x.response->body = "early";
        x.AnswerNow();
        x.AnswerNow();  // a second call does nothing
      }
    }
    for (const Exchange& x : exchanges) {
      if (x.request->path != "/slow") continue;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (!early_arrived && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      x.response->body = early_arrived ? "released" : "the early answer never arrived";
    }
  };
  auto started = HttpServer::Start(options, handler);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  const int port = (*started)->port();

  RawConnection holder(port), early(port), slow(port);
  ASSERT_TRUE(holder.Send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(slow.Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(early.Send("GET /early HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(StatusOf(holder.ReadResponse()), 200);
  EXPECT_EQ(BodyOf(early.ReadResponse()), "early");
  early_arrived = true;
  EXPECT_EQ(BodyOf(slow.ReadResponse()), "released");
  EXPECT_EQ(largest.load(), 2u) << "/slow and /early were not read in one pass";
  // The connection answered early goes on serving.
  ASSERT_TRUE(early.Send("GET /early HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(BodyOf(early.ReadResponse()), "early");
}

// Deferred answers, sent from a thread of the test's: Hold() keeps them
// until Release().
class AnswerLater {
 public:
  void Hold(DeferredAnswer answer) {
    std::lock_guard lock(mu_);
    held_.push_back(std::move(answer));
  }
  size_t held() {
    std::lock_guard lock(mu_);
    return held_.size();
  }
  // Sends each held answer from another thread, `body` as its body, and
  // reports the thread its Post ran on.
  std::thread::id Release(const std::string& body) {
    std::promise<std::thread::id> posted_on;
    std::thread([&] {
      std::vector<DeferredAnswer> answers;
      {
        std::lock_guard lock(mu_);
        answers.swap(held_);
      }
      if (answers.empty()) return;
      answers.front().Post([&] { posted_on.set_value(std::this_thread::get_id()); });
      for (DeferredAnswer& a : answers) {
        Response r;
        r.content_type = "text/plain";
        r.body = body + " " + a.request().path;
        a.Send(std::move(r));
        a.Send(Response{});  // a second call does nothing
      }
    }).join();
    auto posted = posted_on.get_future();
    if (posted.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      ADD_FAILURE() << "a task posted to the connection's thread never ran";
      return {};
    }
    return posted.get();
  }
  void Drop() {
    std::lock_guard lock(mu_);
    held_.clear();
  }

 private:
  std::mutex mu_;
  std::vector<DeferredAnswer> held_;
};

// A server on one thread whose handler defers /later (to `later`) and
// answers the rest at once.
class DeferringServer : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.threads = 1;  // every connection on the same thread
    BatchHandler handler = [this](std::span<const Exchange> exchanges) {
      handler_thread.store(std::this_thread::get_id());
      for (const Exchange& x : exchanges) {
        if (x.request->path.starts_with("/later")) {
          DeferredAnswer d = x.Defer();
          EXPECT_TRUE(x.request->path.empty()) << "the request moved into the deferred answer";
          EXPECT_FALSE(x.Defer()) << "deferred twice";
          later.Hold(std::move(d));
          continue;
        }
        x.response->content_type = "text/plain";
        x.response->body = "now " + x.request->path;
      }
    };
    auto started = HttpServer::Start(options, handler);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    server = std::move(*started);
  }
  // Answers left held would keep Stop() waiting: dropped first (500).
  void TearDown() override {
    later.Drop();
    server.reset();
  }
  // A connection whose GET /later the handler has deferred.
  std::unique_ptr<RawConnection> Deferred() {
    auto c = std::make_unique<RawConnection>(server->port());
    EXPECT_TRUE(c->Send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (later.held() == 0 && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(later.held(), 1u) << "the handler never deferred GET /later";
    return c;
  }
  // Sends GET /now and expects its immediate answer.
  static void ExpectAnsweredNow(RawConnection& c) {
    ASSERT_TRUE(c.Send("GET /now HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_EQ(BodyOf(c.ReadResponse()), "now /now");
  }

  AnswerLater later;
  std::atomic<std::thread::id> handler_thread;
  std::unique_ptr<HttpServer> server;
};

TEST_F(DeferringServer, ADeferredAnswerLeavesItsThreadFreeForOtherConnections) {
  auto waiting = Deferred();
  // The only thread is free: another connection is answered meanwhile,
  // twice.
  RawConnection other(server->port());
  ExpectAnsweredNow(other);
  ExpectAnsweredNow(other);
  // Sent from another thread, the answer is written by the connection's
  // own, and the connection stays alive for its next request.
  EXPECT_EQ(later.Release("sent"), handler_thread.load());
  EXPECT_EQ(BodyOf(waiting->ReadResponse()), "sent /later");
  ExpectAnsweredNow(*waiting);
}

TEST_F(DeferringServer, ADeferredAnswerDroppedUnsentIsA500) {
  auto waiting = Deferred();
  later.Drop();
  const std::string r = waiting->ReadResponse();
  EXPECT_EQ(StatusOf(r), 500) << r;
  ExpectAnsweredNow(*waiting);
}

TEST_F(DeferringServer, StopWaitsForDeferredAnswersAndSendsThem) {
  auto waiting = Deferred();
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    server->Stop();
    stopped = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(stopped.load()) << "Stop returned with an answer still owed";
  later.Release("drained");
  stopper.join();
  const std::string r = waiting->ReadResponse();
  EXPECT_EQ(BodyOf(r), "drained /later");
  EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
  EXPECT_TRUE(waiting->ClosedByServer());
}

TEST(HandleIsolated, AThrowBecomesA500ForThatRequestOnly) {
  Request req;
  req.method = "POST";
  req.path = "/v2/models/m/infer";
  Response fine;
  EXPECT_TRUE(HandleIsolated(req, fine, [&] { fine.body = "answer"; }));
  EXPECT_EQ(fine.status, 200);
  EXPECT_EQ(fine.body, "answer");
  Response failed;
  failed.headers.emplace_back("X-Half", "written");
  EXPECT_FALSE(HandleIsolated(req, failed, [&] {
    failed.body = "half";
    throw std::runtime_error("secret detail");
  }));
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(Json::parse(failed.body)["error"], "internal error");
  EXPECT_TRUE(failed.headers.empty());  // nothing of the half-written answer is left
  EXPECT_FALSE(HandleIsolated(req, failed, [] { throw 42; }));
  EXPECT_EQ(failed.status, 500);
}

TEST(HttpServer, RefusesOversizedBodiesAndHeadersWithoutReadingThem) {
  ServerOptions options;
  options.max_body_bytes = 1000;
  options.max_header_bytes = 2000;
  std::atomic<int> handled{0};
  auto server = StartServer(options, [&](const Request& req, Response& res) {
    ++handled;
    TestHandler(req, res);
  });
  ASSERT_NE(server, nullptr);
  // The declared length alone is enough: the 413 comes before any body byte.
  RawConnection declared(server->port());
  ASSERT_TRUE(declared.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n"));
  const std::string too_big = declared.ReadResponse();
  EXPECT_EQ(StatusOf(too_big), 413) << too_big;
  EXPECT_NE(Json::parse(BodyOf(too_big))["error"].get<std::string>().find("limit of 1000 bytes"),
            std::string::npos);
  EXPECT_TRUE(declared.ClosedByServer());

  // A client that sends the whole body anyway still reads the answer.
  HttpClient client("127.0.0.1", server->port(), 5);
  auto sent = client.Post("/echo", std::string(2 << 20, 'x'), "text/plain");
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  EXPECT_EQ(sent->status, 413);
  // Chunked bodies are counted as they arrive.
  RawConnection chunked(server->port());
  ASSERT_TRUE(chunked.Send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                           std::string("800\r\n") + std::string(0x800, 'c') + "\r\n"));
  EXPECT_EQ(StatusOf(chunked.ReadResponse()), 413);

  // A chunk-size line that never ends fills the bounded read buffer.
  RawConnection endless_chunk(server->port());
  ASSERT_TRUE(
      endless_chunk.Send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;" +
                         std::string(200000, 'e')));
  EXPECT_EQ(StatusOf(endless_chunk.ReadResponse()), 400);

  RawConnection headers(server->port());
  ASSERT_TRUE(headers.Send("GET / HTTP/1.1\r\nX-Big: " + std::string(5000, 'h') + "\r\n\r\n"));
  EXPECT_EQ(StatusOf(headers.ReadResponse()), 431);
  EXPECT_EQ(handled.load(), 0);
  EXPECT_EQ(client.Post("/echo", "small", "text/plain")->body, "small");
}

TEST(HttpServer, SlowClientsGet408AndIdleOnesAreClosed) {
  ServerOptions options;
  options.read_timeout_seconds = 0.3;
  options.keep_alive_seconds = 0.3;
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  RawConnection dribbler(server->port());
  const auto start = Clock::now();
  ASSERT_TRUE(dribbler.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Le"));
  const std::string answer = dribbler.ReadResponse();
  EXPECT_EQ(StatusOf(answer), 408) << answer;
  EXPECT_TRUE(dribbler.ClosedByServer());
  EXPECT_LT(SecondsSince(start), 2.0);

  // Headers whole, the body cut short: 408 too.
  RawConnection short_body(server->port());
  ASSERT_TRUE(short_body.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"));
  EXPECT_EQ(StatusOf(short_body.ReadResponse()), 408);

  // Nothing sent at all, or nothing after an answer: closed without a word.
  RawConnection silent(server->port());
  EXPECT_TRUE(silent.ClosedByServer());
  RawConnection kept(server->port());
  ASSERT_TRUE(kept.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(StatusOf(kept.ReadResponse()), 200);
  EXPECT_TRUE(kept.ClosedByServer());
}

TEST(HttpServer, MalformedRequestsAre400AndContinueIsHonoured) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  RawConnection garbage(server->port());
  ASSERT_TRUE(garbage.Send("HELLO THERE\r\n\r\n"));
  const std::string bad = garbage.ReadResponse();
  EXPECT_EQ(StatusOf(bad), 400) << bad;
  EXPECT_NE(Json::parse(BodyOf(bad))["error"].get<std::string>().find("malformed HTTP request"),
            std::string::npos);
  RawConnection bad_length(server->port());
  ASSERT_TRUE(bad_length.Send("POST / HTTP/1.1\r\nContent-Length: ten\r\n\r\n"));
  EXPECT_EQ(StatusOf(bad_length.ReadResponse()), 400);

  RawConnection expecting(server->port());
  ASSERT_TRUE(expecting.Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(StatusOf(expecting.ReadResponse()), 100);
  ASSERT_TRUE(expecting.Send("ping"));
  const std::string echoed = expecting.ReadResponse();
  EXPECT_EQ(StatusOf(echoed), 200);
  EXPECT_EQ(BodyOf(echoed), "ping");
}

TEST(HttpServer, ABlockedHandlerDoesNotHoldUpOtherConnections) {
  ServerOptions options;
  options.threads = 4;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto server = StartServer(options, [&](const Request& req, Response& res) {
    if (req.path == "/block") released.wait();
    TestHandler(req, res);
  });
  ASSERT_NE(server, nullptr);
  auto blocked = std::async(std::launch::async, [&] {
    HttpClient c("127.0.0.1", server->port(), 10);
    return c.Get("/block");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (int i = 0; i < 3; ++i) {
    HttpClient other("127.0.0.1", server->port(), 5);
    const auto start = Clock::now();
    auto r = other.Get("/quick");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_LT(SecondsSince(start), 1.0);
  }
  release.set_value();
  auto r = blocked.get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
}

// One thread, a handler that holds it past the read timeout: a request that
// arrived meanwhile on another connection of that thread was on time, and
// is answered rather than timed out.
TEST(HttpServer, AHandlerHoldingItsThreadDoesNotTimeOutItsNeighbours) {
  ServerOptions options;
  options.threads = 1;
  options.read_timeout_seconds = 0.3;
  auto server = StartServer(options, [](const Request& req, Response& res) {
    if (req.path == "/hold") std::this_thread::sleep_for(std::chrono::milliseconds(900));
    TestHandler(req, res);
  });
  ASSERT_NE(server, nullptr);
  RawConnection holder(server->port());
  RawConnection neighbour(server->port());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(holder.Send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(neighbour.Send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(StatusOf(holder.ReadResponse()), 200);
  const std::string answer = neighbour.ReadResponse();
  EXPECT_EQ(StatusOf(answer), 200) << answer;
}

TEST(HttpServer, StopAnswersRequestsInFlightClosesIdleConnectionsAndStopsListening) {
  ServerOptions options;
  options.keep_alive_seconds = 30;  // Stop must not wait for it
  auto server = StartServer(options);
  ASSERT_NE(server, nullptr);
  const int port = server->port();
  RawConnection idle(port);
  ASSERT_TRUE(idle.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(StatusOf(idle.ReadResponse()), 200);

  RawConnection in_flight(port);
  ASSERT_TRUE(in_flight.Send("GET /sleep HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto start = Clock::now();
  server->Stop();
  EXPECT_LT(SecondsSince(start), 2.0);
  const std::string answered = in_flight.ReadResponse();
  EXPECT_EQ(StatusOf(answered), 200) << answered;
  EXPECT_NE(answered.find("Connection: close"), std::string::npos) << answered;
  EXPECT_TRUE(in_flight.ClosedByServer());
  EXPECT_TRUE(idle.ClosedByServer());
  RawConnection after(port);
  EXPECT_FALSE(after.connected());
  server->Stop();  // idempotent
}

TEST(HttpServer, APortInUseIsRefusedNamingIt) {
  auto first = StartServer();
  ASSERT_NE(first, nullptr);
  ServerOptions options;
  options.port = first->port();
  auto second = HttpServer::Start(options, TestHandler);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find(std::to_string(first->port())), std::string::npos);
  options.port = 0;
  for (auto broken : std::vector<std::function<void(ServerOptions&)>>{
           [](ServerOptions& o) { o.threads = 0; },
           [](ServerOptions& o) { o.read_timeout_seconds = std::nan(""); },
           [](ServerOptions& o) { o.keep_alive_seconds = 1e300; },
           [](ServerOptions& o) { o.max_header_bytes = int64_t{1} << 33; },
           [](ServerOptions& o) { o.max_body_bytes = 0; }}) {
    ServerOptions bad;
    broken(bad);
    EXPECT_EQ(HttpServer::Start(bad, TestHandler).status().code(), StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace citadel::http
