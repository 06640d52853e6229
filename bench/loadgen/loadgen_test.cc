// The load generator's parts (URL, response framing, histogram) and its
// accounting against a scripted loopback server: every request the server
// saw must come back as exactly one outcome.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "loadgen/latency_histogram.h"
#include "loadgen/load_generator.h"
#include "loadgen/report.h"
#include "loadgen/response_parser.h"
#include "loadgen/target_url.h"

namespace citadel::loadgen {
namespace {

TEST(TargetUrl, ParsesHostPortAndTarget) {
  struct Case {
    const char* text;
    const char* host;
    int port;
    const char* target;
  } cases[] = {
      {"http://127.0.0.1:8080/v2/models/m/infer", "127.0.0.1", 8080, "/v2/models/m/infer"},
      {"http://localhost", "localhost", 80, "/"},
      {"http://localhost:9/", "localhost", 9, "/"},
      {"http://[::1]:8000/x?y=1", "::1", 8000, "/x?y=1"},
      {"http://h?q", "h", 80, "/?q"},
  };
  for (const auto& c : cases) {
    std::string error;
    auto url = ParseTargetUrl(c.text, &error);
    ASSERT_TRUE(url) << c.text << ": " << error;
    EXPECT_EQ(url->host, c.host) << c.text;
    EXPECT_EQ(url->port, c.port) << c.text;
    EXPECT_EQ(url->target, c.target) << c.text;
  }
}

TEST(TargetUrl, RejectsWhatItCannotSend) {
  for (const char* text : {"https://h/", "h:80/", "http://:80/", "http://h:0/", "http://h:99999/",
                           "http://h:/", "http://u@h/", "http://h/#f", "http://[::1/"}) {
    std::string error;
    EXPECT_FALSE(ParseTargetUrl(text, &error)) << text;
    EXPECT_FALSE(error.empty()) << text;
  }
}

TEST(TargetUrl, BracketsIpv6InHostHeader) {
  std::string error;
  EXPECT_EQ(ParseTargetUrl("http://[::1]:81/", &error)->HostHeader(), "[::1]:81");
  EXPECT_EQ(ParseTargetUrl("http://a.b/", &error)->HostHeader(), "a.b:80");
}

struct ParseCase {
  const char* name;
  std::string bytes;
  bool head_request = false;
  ResponseParser::State want;
  int status = 0;
  bool keep_alive = true;
  uint64_t body_bytes = 0;
  size_t left_over = 0;  // bytes after the response
};

std::vector<ParseCase> ParseCases() {
  using S = ResponseParser::State;
  return {
      {"content length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, S::kComplete,
       200, true, 5},
      {"zero length", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, S::kComplete, 200,
       true, 0},
      {"no reason phrase", "HTTP/1.1 503\r\nContent-Length: 1\r\n\r\nx", false, S::kComplete, 503,
       true, 1},
      {"case-insensitive names", "HTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh:3\r\n\r\nabc", false,
       S::kComplete, 200, true, 3},
      {"chunked with extension and trailer",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nWiki\r\n5\r\npedia\r\n"
       "0\r\nX-T: 1\r\n\r\n",
       false, S::kComplete, 200, true, 9},
      {"chunked wins over length",
       "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
       "A\r\n0123456789\r\n0\r\n\r\n",
       false, S::kComplete, 200, true, 10},
      {"connection close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
       false, S::kComplete, 200, false, 2},
      {"http/1.0 closes by default", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false,
       S::kComplete, 200, false, 2},
      {"http/1.0 keep-alive",
       "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok", false,
       S::kComplete, 200, true, 2},
      {"204 has no body", "HTTP/1.1 204 No Content\r\n\r\n", false, S::kComplete, 204, true, 0},
      {"304 has no body", "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n", false,
       S::kComplete, 304, true, 0},
      {"HEAD has no body", "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n", true, S::kComplete, 200,
       true, 0},
      {"100 continue skipped",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx", false,
       S::kComplete, 201, true, 1},
      {"bytes after the response", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1", false,
       S::kComplete, 200, true, 1, 8},
      {"body until close", "HTTP/1.1 200 OK\r\n\r\nabc", false, S::kIncomplete},
      {"head incomplete", "HTTP/1.1 200 OK\r\nContent-Len", false, S::kIncomplete},
      {"body incomplete", "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", false, S::kIncomplete},
      {"bad status line", "HTTP/2 200 OK\r\n\r\n", false, S::kError},
      {"not http", "SSH-2.0-OpenSSH\r\n\r\n", false, S::kError},
      {"bad status code", "HTTP/1.1 2x0 OK\r\n\r\n", false, S::kError},
      {"bad content length", "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", false, S::kError},
      {"negative content length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false,
       S::kError},
      {"conflicting content lengths",
       "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx", false, S::kError},
      {"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false,
       S::kError},
      {"missing CRLF after chunk",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n", false, S::kError},
      {"header without colon", "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", false, S::kError},
      {"switching protocols", "HTTP/1.1 101 Switching\r\n\r\n", false, S::kError},
      {"head over the limit", "HTTP/1.1 200 OK\r\nX: " + std::string(70 * 1024, 'a'), false,
       S::kError},
  };
}

void CheckCase(const ParseCase& c, ResponseParser::State got, const ResponseParser& parser,
               size_t left_over, const char* how) {
  ASSERT_EQ(got, c.want) << c.name << " (" << how << "): " << parser.error();
  if (got != ResponseParser::State::kComplete) return;
  EXPECT_EQ(parser.status(), c.status) << c.name << " (" << how << ")";
  EXPECT_EQ(parser.keep_alive(), c.keep_alive) << c.name << " (" << how << ")";
  EXPECT_EQ(parser.body_bytes(), c.body_bytes) << c.name << " (" << how << ")";
  EXPECT_EQ(left_over, c.left_over) << c.name << " (" << how << ")";
}

TEST(ResponseParser, FramesResponsesFedWhole) {
  for (const ParseCase& c : ParseCases()) {
    ResponseParser parser;
    parser.Reset(c.head_request);
    size_t consumed = 0;
    const auto got = parser.Feed(c.bytes, &consumed);
    CheckCase(c, got, parser, c.bytes.size() - consumed, "whole");
  }
}

TEST(ResponseParser, FramesResponsesFedByteByByte) {
  for (const ParseCase& c : ParseCases()) {
    ResponseParser parser;
    parser.Reset(c.head_request);
    auto got = ResponseParser::State::kIncomplete;
    size_t i = 0;
    size_t left_over = 0;
    for (; i < c.bytes.size() && got == ResponseParser::State::kIncomplete; ++i) {
      size_t consumed = 0;
      got = parser.Feed(std::string_view(c.bytes).substr(i, 1), &consumed);
      left_over = 1 - consumed;
    }
    left_over += c.bytes.size() - i;
    CheckCase(c, got, parser, left_over, "byte by byte");
  }
}

TEST(ResponseParser, EndOfConnectionCompletesOnlyAnUnframedBody) {
  ResponseParser parser;
  size_t consumed = 0;
  parser.Reset();
  ASSERT_EQ(parser.Feed("HTTP/1.1 200 OK\r\n\r\nabc", &consumed),
            ResponseParser::State::kIncomplete);
  EXPECT_EQ(parser.FinishAtEof(), ResponseParser::State::kComplete);
  EXPECT_EQ(parser.body_bytes(), 3u);
  EXPECT_FALSE(parser.keep_alive());

  parser.Reset();
  ASSERT_EQ(parser.Feed("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", &consumed),
            ResponseParser::State::kIncomplete);
  EXPECT_EQ(parser.FinishAtEof(), ResponseParser::State::kError);
  EXPECT_NE(parser.error().find("after 3 bytes"), std::string::npos) << parser.error();

  parser.Reset();
  EXPECT_FALSE(parser.started());
  EXPECT_EQ(parser.FinishAtEof(), ResponseParser::State::kError);
  EXPECT_NE(parser.error().find("before any response byte"), std::string::npos);
}

TEST(LatencyHistogram, IsExactForSmallValuesAndCloseForLargeOnes) {
  LatencyHistogram h;
  for (int v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.Quantile(0.5), 50);
  EXPECT_EQ(h.Quantile(0.99), 99);
  EXPECT_EQ(h.Quantile(1.0), 100);
  EXPECT_EQ(h.Quantile(0.0), 1);
  EXPECT_EQ(h.min(), 1);
  EXPECT_EQ(h.max(), 100);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);

  for (int64_t v : {int64_t{1000}, int64_t{123'456}, int64_t{987'654'321}, int64_t{5} << 36}) {
    LatencyHistogram one;
    one.Record(v);
    one.Record(v * 2);
    const double got = static_cast<double>(one.Quantile(0.5));
    EXPECT_NEAR(got, static_cast<double>(v), v * 0.004) << v;
  }
}

TEST(LatencyHistogram, MergesCountsAndExtremes) {
  LatencyHistogram a;
  LatencyHistogram b;
  for (int i = 0; i < 90; ++i) a.Record(1'000'000);   // 1 ms
  for (int i = 0; i < 10; ++i) b.Record(50'000'000);  // 50 ms
  a.Merge(b);
  EXPECT_EQ(a.count(), 100u);
  EXPECT_NEAR(static_cast<double>(a.Quantile(0.9)), 1e6, 1e6 * 0.004);
  EXPECT_NEAR(static_cast<double>(a.Quantile(0.91)), 50e6, 50e6 * 0.004);
  EXPECT_EQ(a.max(), 50'000'000);
  EXPECT_EQ(a.min(), 1'000'000);
  LatencyHistogram empty;
  EXPECT_EQ(empty.Quantile(0.5), 0);
  a.Merge(empty);
  EXPECT_EQ(a.count(), 100u);
}

// A blocking thread-per-connection HTTP server on a loopback port whose
// answer to the n-th request (0-based, over all connections) `script`
// decides: a whole response to send, or "" to close the connection without
// answering. Counts what it received.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::function<std::string(uint64_t n, const std::string& body)> script)
      : script_(std::move(script)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_fd_, 128), 0);
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~ScriptedServer() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    ::close(listen_fd_);
    std::vector<std::thread> conns;
    {
      std::lock_guard lock(mu_);
      for (int fd : conn_fds_) ::shutdown(fd, SHUT_RDWR);  // wakes blocked reads
      conns.swap(conns_);
    }
    for (auto& t : conns) t.join();
    for (int fd : conn_fds_) ::close(fd);
  }

  int port() const { return port_; }
  uint64_t requests() const { return requests_.load(); }
  std::map<std::string, uint64_t> bodies() const {
    std::lock_guard lock(mu_);
    return bodies_;
  }

 private:
  void Accept() {
    for (;;) {
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard lock(mu_);
      conn_fds_.push_back(fd);
      conns_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  void Serve(int fd) {
    std::string in;
    char buf[4096];
    for (;;) {
      const size_t head_end = in.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        size_t length = 0;
        const size_t cl = in.find("Content-Length: ");
        if (cl != std::string::npos && cl < head_end) length = std::stoul(in.substr(cl + 16));
        if (in.size() >= head_end + 4 + length) {
          const std::string body = in.substr(head_end + 4, length);
          in.erase(0, head_end + 4 + length);
          const uint64_t n = requests_.fetch_add(1);
          {
            std::lock_guard lock(mu_);
            ++bodies_[body];
          }
          const std::string answer = script_(n, body);
          if (answer.empty()) break;
          if (::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL) < 0) break;
          continue;
        }
      }
      const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
      if (got <= 0) break;
      in.append(buf, static_cast<size_t>(got));
    }
    // Closed by the destructor, so that it never shuts down a reused number.
    ::shutdown(fd, SHUT_RDWR);
  }

  std::function<std::string(uint64_t, const std::string&)> script_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::atomic<uint64_t> requests_{0};
  mutable std::mutex mu_;
  std::vector<std::thread> conns_;          // guarded by mu_
  std::vector<int> conn_fds_;               // guarded by mu_
  std::map<std::string, uint64_t> bodies_;  // guarded by mu_
};

LoadOptions OptionsFor(int port, int connections, double seconds) {
  LoadOptions o;
  std::string error;
  o.url = *ParseTargetUrl("http://127.0.0.1:" + std::to_string(port) + "/echo", &error);
  o.method = "POST";
  o.bodies = {"{\"x\":1}"};
  o.connections = connections;
  o.threads = 2;
  o.duration_seconds = seconds;
  o.warmup_seconds = 0.05;
  o.timeout_seconds = 2;
  return o;
}

std::string Ok(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(RunLoad, AccountsForEveryRequestTheServerSaw) {
  ScriptedServer server([](uint64_t, const std::string& body) { return Ok(body); });
  std::string error;
  auto result = RunLoad(OptionsFor(server.port(), 4, 0.3), &error);
  ASSERT_TRUE(result) << error;
  EXPECT_EQ(result->measured.Errors() + result->warmup.Errors(), 0u);
  EXPECT_GT(result->measured.ok, 0u);
  EXPECT_EQ(result->measured.ok + result->warmup.ok, server.requests());
  EXPECT_EQ(result->latency.count(), result->measured.ok);
  EXPECT_GE(result->measured_seconds, 0.3);
  EXPECT_EQ(result->connections_opened, 4u);
  // Its own CPU was measured (the process's: here the scripted server's
  // threads run in it too, so no upper bound holds).
  EXPECT_GT(result->cpu_seconds, 0.0);
}

TEST(RunLoad, CountsStatusCodesAndDroppedConnectionsExactly) {
  // Request n: every 3rd a 503, every 5th (not a 3rd) closed unanswered,
  // every 7th otherwise a chunked 200 that closes the connection.
  std::atomic<uint64_t> want_503{0}, want_closed{0}, want_ok{0};
  ScriptedServer server([&](uint64_t n, const std::string&) -> std::string {
    if (n % 3 == 0) {
      ++want_503;
      return "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";
    }
    if (n % 5 == 0) {
      ++want_closed;
      return "";
    }
    ++want_ok;
    if (n % 7 == 0) {
      return "HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
             "2\r\nok\r\n0\r\n\r\n";
    }
    return Ok("ok");
  });
  std::string error;
  auto result = RunLoad(OptionsFor(server.port(), 3, 0.3), &error);
  ASSERT_TRUE(result) << error;
  OutcomeCounts all = result->measured;
  all.Merge(result->warmup);
  EXPECT_EQ(all.Requests(), server.requests());
  EXPECT_EQ(all.ok, want_ok.load());
  EXPECT_EQ(all.status[503], want_503.load());
  EXPECT_EQ(all.closed, want_closed.load());
  EXPECT_EQ(all.connect + all.io + all.timeout + all.parse, 0u);
  EXPECT_EQ(all.status.size(), 1u);
  const nlohmann::json j = ReportJson(OptionsFor(server.port(), 3, 0.3), *result);
  EXPECT_EQ(j["errors"]["status"]["503"], result->measured.status[503]);
  EXPECT_EQ(j["errors_including_warmup"], all.Errors());
}

TEST(RunLoad, SendsBodyLinesRoundRobin) {
  ScriptedServer server([](uint64_t, const std::string& body) { return Ok(body); });
  LoadOptions options = OptionsFor(server.port(), 1, 0.2);
  options.bodies = {"a", "b", "c"};
  std::string error;
  auto result = RunLoad(options, &error);
  ASSERT_TRUE(result) << error;
  const auto bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 3u);
  const uint64_t a = bodies.at("a");
  EXPECT_GT(a, 5u);
  EXPECT_LE(a - bodies.at("c"), 1u);
  EXPECT_LE(bodies.at("b") - bodies.at("c"), 1u);
}

TEST(RunLoad, CountsRefusedConnectionsAsFailures) {
  // A port that was just free: nothing listens on it.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  std::string error;
  auto result = RunLoad(OptionsFor(ntohs(addr.sin_port), 2, 0.1), &error);
  ASSERT_TRUE(result) << error;
  EXPECT_EQ(result->measured.ok, 0u);
  EXPECT_GT(result->measured.connect, 0u);
  // Retried every 10 ms per connection, not in a busy loop.
  EXPECT_LT(result->measured.connect, 2 * 15u);
  EXPECT_EQ(result->measured.Errors(), result->measured.connect);
  ASSERT_FALSE(result->sample_errors.empty());
  EXPECT_NE(result->sample_errors[0].find("refused"), std::string::npos);
}

TEST(RunLoad, CountsUnansweredRequestsAsTimeouts) {
  ScriptedServer server([](uint64_t, const std::string&) -> std::string {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    return Ok("late");
  });
  LoadOptions options = OptionsFor(server.port(), 1, 0.1);
  options.warmup_seconds = 0;
  options.timeout_seconds = 0.15;
  std::string error;
  auto result = RunLoad(options, &error);
  ASSERT_TRUE(result) << error;
  EXPECT_EQ(result->measured.ok, 0u);
  EXPECT_GE(result->measured.timeout, 1u);
  EXPECT_EQ(result->measured.Errors(), result->measured.timeout);
}

TEST(RunLoad, OpenLoopSendsAtTheRate) {
  ScriptedServer server([](uint64_t, const std::string& body) { return Ok(body); });
  LoadOptions options = OptionsFor(server.port(), 4, 0.5);
  options.warmup_seconds = 0;
  options.rate = 200;
  std::string error;
  auto result = RunLoad(options, &error);
  ASSERT_TRUE(result) << error;
  // 0.5 s at 200/s: exactly 100 requests fall due, each sent or unsent.
  EXPECT_EQ(result->measured.Requests() + result->unsent, 100u);
  EXPECT_EQ(result->measured.Errors(), 0u);
  EXPECT_GE(result->measured.ok, 90u);
}

TEST(RunLoad, RejectsFramingHeadersAndBadOptions) {
  LoadOptions options = OptionsFor(1, 1, 1);
  options.headers = {{"Content-Length", "3"}};
  std::string error;
  EXPECT_FALSE(RunLoad(options, &error));
  EXPECT_NE(error.find("Content-Length"), std::string::npos);
  options.headers.clear();
  options.connections = 0;
  EXPECT_FALSE(RunLoad(options, &error));
}

}  // namespace
}  // namespace citadel::loadgen
