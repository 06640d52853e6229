#include "loadgen/load_generator.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "loadgen/response_parser.h"

namespace citadel::loadgen {
namespace {

constexpr int64_t kConnectRetryNanos = 10'000'000;
constexpr int64_t kTimeoutScanNanos = 5'000'000;
constexpr size_t kMaxSampleErrors = 5;

int64_t NowNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

enum class Failure { kConnect, kIo, kClosed, kTimeout, kParse };

// What every thread reads and nothing writes while the load runs, except
// `next_body` (atomic) and the sample errors (under `errors_mu`).
struct Plan {
  sockaddr_storage address{};
  socklen_t address_len = 0;
  std::vector<std::string> requests;  // whole request bytes, one per body
  bool head_request = false;
  int64_t start_ns = 0;
  int64_t warmup_end_ns = 0;
  int64_t end_ns = 0;
  int64_t timeout_ns = 0;
  std::atomic<uint64_t> next_body{0};

  std::mutex errors_mu;
  std::vector<std::string> sample_errors;  // guarded by errors_mu
};

// One thread's connections and counts. Not thread-safe: owned by its thread
// until Run() returns.
class Worker {
 public:
  Worker(Plan* plan, int connections, double rate, int64_t first_due_offset_ns)
      : plan_(plan), conns_(connections), rate_(rate) {
    if (rate_ > 0) {
      interval_ns_ = 1e9 / rate_;
      first_due_ns_ = plan_->start_ns + first_due_offset_ns;
    }
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void Run();

  OutcomeCounts warmup;
  OutcomeCounts measured;
  LatencyHistogram latency;
  int64_t last_measured_outcome_ns = 0;
  uint64_t unsent = 0;
  uint64_t connections_opened = 0;

 private:
  struct Conn {
    int fd = -1;
    uint32_t generation = 0;
    bool connecting = false;
    bool want_write = false;  // EPOLLOUT registered
    bool in_flight = false;
    bool measured = false;
    const std::string* request = nullptr;
    size_t written = 0;
    int64_t due_ns = 0;  // latency is measured from here
    int64_t deadline_ns = 0;
    int64_t retry_at_ns = 0;
    ResponseParser parser;
  };

  bool open_loop() const { return rate_ > 0; }
  void Issue(int index, int64_t due_ns, int64_t now);
  bool Connect(int index);
  void Write(int index);
  void Read(int index);
  void OnEvent(int index, uint32_t events);
  void Complete(int index);
  void Fail(int index, Failure kind, std::string_view message);
  void Close(int index);
  void Watch(int index, int op, uint32_t events);
  void BecomeIdle(int index);
  void IssueDue(int64_t now);
  // epoll_wait for at most `wait_ns`; the number of events, or -1 (EINTR).
  int Wait(epoll_event* events, int capacity, int64_t wait_ns);

  Plan* plan_;
  std::vector<Conn> conns_;
  double rate_;
  // Open loop: request k falls due at first_due_ns_ + k · interval_ns_
  // (computed, not accumulated, so long runs do not drift).
  double interval_ns_ = 0;
  int64_t first_due_ns_ = 0;
  int64_t next_due_index_ = 0;
  int64_t NextDue() const {
    return first_due_ns_ +
           static_cast<int64_t>(static_cast<double>(next_due_index_) * interval_ns_);
  }
  int epoll_fd_ = -1;
  int in_flight_ = 0;
  bool end_turn_done_ = false;
  std::vector<int> idle_;        // connections free for the next request
  std::vector<int> retrying_;    // waiting for retry_at_ns after a connect failure
  std::deque<int64_t> backlog_;  // open loop: due times without a connection yet
  std::vector<char> buffer_ = std::vector<char>(64 * 1024);
};

void Worker::Watch(int index, int op, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = (uint64_t{conns_[index].generation} << 32) | static_cast<uint32_t>(index);
  epoll_ctl(epoll_fd_, op, conns_[index].fd, &ev);
}

void Worker::Close(int index) {
  Conn& c = conns_[index];
  if (c.fd >= 0) ::close(c.fd);  // also leaves the epoll set
  c.fd = -1;
  ++c.generation;  // events already fetched for the old socket are ignored
  c.connecting = false;
  c.want_write = false;
}

bool Worker::Connect(int index) {
  Conn& c = conns_[index];
  c.fd = ::socket(plan_->address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) {
    Fail(index, Failure::kConnect, std::string("socket: ") + std::strerror(errno));
    return false;
  }
  ++connections_opened;
  const int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&plan_->address), plan_->address_len) ==
      0) {
    Watch(index, EPOLL_CTL_ADD, EPOLLIN | EPOLLRDHUP);
    return true;
  }
  if (errno != EINPROGRESS) {
    Fail(index, Failure::kConnect, std::string("connect: ") + std::strerror(errno));
    return false;
  }
  c.connecting = true;
  Watch(index, EPOLL_CTL_ADD, EPOLLOUT | EPOLLIN | EPOLLRDHUP);
  return true;
}

void Worker::Issue(int index, int64_t due_ns, int64_t now) {
  Conn& c = conns_[index];
  const size_t n = plan_->requests.size();
  const size_t body = n == 1 ? 0 : plan_->next_body.fetch_add(1, std::memory_order_relaxed) % n;
  c.request = &plan_->requests[body];
  c.written = 0;
  c.due_ns = due_ns;
  c.deadline_ns = now + plan_->timeout_ns;
  c.measured = due_ns >= plan_->warmup_end_ns;
  c.in_flight = true;
  c.parser.Reset(plan_->head_request);
  ++in_flight_;
  if (c.fd < 0 && !Connect(index)) return;
  if (!c.connecting) Write(index);
}

void Worker::Write(int index) {
  Conn& c = conns_[index];
  while (c.written < c.request->size()) {
    const ssize_t n =
        ::send(c.fd, c.request->data() + c.written, c.request->size() - c.written, MSG_NOSIGNAL);
    if (n > 0) {
      c.written += static_cast<size_t>(n);
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!c.want_write) Watch(index, EPOLL_CTL_MOD, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
      c.want_write = true;
      return;
    } else {
      Fail(index, Failure::kIo, std::string("send: ") + std::strerror(errno));
      return;
    }
  }
  if (c.want_write) Watch(index, EPOLL_CTL_MOD, EPOLLIN | EPOLLRDHUP);
  c.want_write = false;
}

void Worker::Read(int index) {
  Conn& c = conns_[index];
  for (;;) {
    const ssize_t n = ::recv(c.fd, buffer_.data(), buffer_.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (c.in_flight) {
        Fail(index, Failure::kIo, std::string("recv: ") + std::strerror(errno));
      } else {
        Close(index);  // an idle connection (in idle_ already, open loop)
      }
      return;
    }
    if (n == 0) {
      if (!c.in_flight) {
        // An idle keep-alive connection the server let go: not a request's
        // failure. Open loop: it stays in idle_ and reconnects when used.
        Close(index);
      } else if (c.parser.FinishAtEof() == ResponseParser::State::kComplete) {
        Close(index);
        Complete(index);
      } else {
        Fail(index, Failure::kClosed, "closed: " + c.parser.error());
      }
      return;
    }
    if (!c.in_flight) {
      // Bytes nobody asked for (a 408 before an idle close): drop the connection.
      Close(index);
      return;
    }
    size_t consumed = 0;
    switch (c.parser.Feed(std::string_view(buffer_.data(), static_cast<size_t>(n)), &consumed)) {
      case ResponseParser::State::kIncomplete:
        break;
      case ResponseParser::State::kError:
        Fail(index, Failure::kParse, "parse: " + c.parser.error());
        return;
      case ResponseParser::State::kComplete:
        // Requests are not pipelined: bytes after the response are a server
        // bug; the response itself still counts, the connection does not.
        if (!c.parser.keep_alive() || consumed < static_cast<size_t>(n)) Close(index);
        Complete(index);
        return;
    }
  }
}

void Worker::OnEvent(int index, uint32_t events) {
  Conn& c = conns_[index];
  if (c.connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) {
      Fail(index, Failure::kConnect, std::string("connect: ") + std::strerror(err));
      return;
    }
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
    c.connecting = false;
    Watch(index, EPOLL_CTL_MOD, EPOLLIN | EPOLLRDHUP);
    Write(index);
    return;
  }
  const uint32_t generation = c.generation;
  if ((events & EPOLLOUT) && c.want_write) Write(index);
  if (c.generation != generation || c.fd < 0) return;
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) Read(index);
}

void Worker::Complete(int index) {
  Conn& c = conns_[index];
  const int64_t now = NowNanos();
  const int status = c.parser.status();
  OutcomeCounts& counts = c.measured ? measured : warmup;
  if (status >= 200 && status < 300) {
    ++counts.ok;
    if (c.measured) latency.Record(now - c.due_ns);
  } else {
    ++counts.status[status];
  }
  if (c.measured) last_measured_outcome_ns = std::max(last_measured_outcome_ns, now);
  c.in_flight = false;
  --in_flight_;
  if (!open_loop() && now < plan_->end_ns) {
    Issue(index, now, now);
  } else {
    BecomeIdle(index);
  }
}

void Worker::Fail(int index, Failure kind, std::string_view message) {
  Conn& c = conns_[index];
  OutcomeCounts& counts = c.measured ? measured : warmup;
  switch (kind) {
    case Failure::kConnect:
      ++counts.connect;
      break;
    case Failure::kIo:
      ++counts.io;
      break;
    case Failure::kClosed:
      ++counts.closed;
      break;
    case Failure::kTimeout:
      ++counts.timeout;
      break;
    case Failure::kParse:
      ++counts.parse;
      break;
  }
  const int64_t now = NowNanos();
  if (c.measured) last_measured_outcome_ns = std::max(last_measured_outcome_ns, now);
  {
    std::lock_guard lock(plan_->errors_mu);
    auto& samples = plan_->sample_errors;
    if (samples.size() < kMaxSampleErrors &&
        std::find(samples.begin(), samples.end(), message) == samples.end()) {
      samples.emplace_back(message);
    }
  }
  Close(index);
  c.in_flight = false;
  --in_flight_;
  // A refused connect is retried after a pause so a server that is down is
  // not hammered; anything else reconnects at once.
  c.retry_at_ns = kind == Failure::kConnect ? now + kConnectRetryNanos : now;
  retrying_.push_back(index);
}

void Worker::BecomeIdle(int index) {
  if (open_loop()) idle_.push_back(index);
  // Closed loop: a connection goes idle only once the run is over.
}

void Worker::IssueDue(int64_t now) {
  const bool sending = now < plan_->end_ns;
  if (!retrying_.empty()) {
    // Issue() may queue new retries (a connect failing at once): walk a copy.
    std::vector<int> due;
    due.swap(retrying_);
    for (int index : due) {
      if (conns_[index].retry_at_ns > now) {
        retrying_.push_back(index);
      } else if (open_loop()) {
        idle_.push_back(index);
      } else if (sending) {
        Issue(index, now, now);
      }
    }
  }
  if (!open_loop()) return;
  for (int64_t due = NextDue(); due <= now && due < plan_->end_ns; due = NextDue()) {
    backlog_.push_back(due);
    ++next_due_index_;
  }
  // Requests that fell due before the end go out on the first turn after it
  // if a connection is free; whatever still waits then is `unsent`, rather
  // than sent late from a backlog a slow server let grow.
  const bool dispatching = sending || !end_turn_done_;
  if (!sending) end_turn_done_ = true;
  while (dispatching && !backlog_.empty() && !idle_.empty()) {
    const int index = idle_.back();
    idle_.pop_back();
    const int64_t due = backlog_.front();
    backlog_.pop_front();
    Issue(index, due, now);
  }
}

int Worker::Wait(epoll_event* events, int capacity, int64_t wait_ns) {
  // Nanosecond waits where the kernel has them (Linux 5.11): with
  // millisecond ones an open-loop request could wait up to 1 ms past its due
  // time, and that wait would be counted as the server's latency.
  static std::atomic<bool> have_pwait2{true};
  if (have_pwait2.load(std::memory_order_relaxed)) {
    timespec timeout{static_cast<time_t>(wait_ns / 1'000'000'000),
                     static_cast<long>(wait_ns % 1'000'000'000)};
    const int n = epoll_pwait2(epoll_fd_, events, capacity, &timeout, nullptr);
    if (n >= 0 || errno != ENOSYS) return n;
    have_pwait2.store(false, std::memory_order_relaxed);
  }
  const int wait_ms = static_cast<int>((wait_ns + 999'999) / 1'000'000);
  return epoll_wait(epoll_fd_, events, capacity, wait_ms);
}

void Worker::Run() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  const int64_t start = NowNanos();
  for (int i = static_cast<int>(conns_.size()) - 1; i >= 0; --i) {
    if (open_loop()) {
      idle_.push_back(i);
    } else {
      Issue(i, start, start);
    }
  }
  std::vector<epoll_event> events(256);
  int64_t next_timeout_scan = start + kTimeoutScanNanos;
  for (;;) {
    int64_t now = NowNanos();
    IssueDue(now);
    if (now >= next_timeout_scan) {
      for (int i = 0; i < static_cast<int>(conns_.size()); ++i) {
        if (conns_[i].in_flight && conns_[i].deadline_ns <= now) {
          Fail(i, Failure::kTimeout, "timeout: no complete response in time");
        }
      }
      next_timeout_scan = now + kTimeoutScanNanos;
    }
    const bool sending = now < plan_->end_ns;
    if (!sending && in_flight_ == 0) break;

    int64_t wake = next_timeout_scan;
    if (sending) {
      wake = std::min(wake, plan_->end_ns);
      if (open_loop() && backlog_.empty()) wake = std::min(wake, NextDue());
      for (int index : retrying_) wake = std::min(wake, conns_[index].retry_at_ns);
    }
    // Open loop with a backlog and no idle connection waits for a response.
    const int n =
        Wait(events.data(), static_cast<int>(events.size()), std::max<int64_t>(0, wake - now));
    for (int k = 0; k < n; ++k) {
      const int index = static_cast<int>(events[k].data.u64 & 0xffffffffu);
      const auto generation = static_cast<uint32_t>(events[k].data.u64 >> 32);
      if (conns_[index].generation != generation || conns_[index].fd < 0) continue;
      OnEvent(index, events[k].events);
    }
  }
  for (int i = 0; i < static_cast<int>(conns_.size()); ++i) Close(i);
  ::close(epoll_fd_);
  unsent = backlog_.size();
}

std::string BuildRequest(const LoadOptions& options, const std::string* body) {
  std::string r = options.method + " " + options.url.target + " HTTP/1.1\r\n";
  bool has_host = false;
  bool has_type = false;
  for (const auto& [name, value] : options.headers) {
    has_host = has_host || EqualsIgnoreCase(name, "host");
    has_type = has_type || EqualsIgnoreCase(name, "content-type");
  }
  if (!has_host) r += "Host: " + options.url.HostHeader() + "\r\n";
  for (const auto& [name, value] : options.headers) r += name + ": " + value + "\r\n";
  if (body != nullptr) {
    if (!has_type) r += "Content-Type: application/json\r\n";
    r += "Content-Length: " + std::to_string(body->size()) + "\r\n\r\n";
    r += *body;
  } else {
    r += "\r\n";
  }
  return r;
}

}  // namespace

uint64_t OutcomeCounts::NonOkResponses() const {
  uint64_t n = 0;
  for (const auto& [code, count] : status) n += count;
  return n;
}

void OutcomeCounts::Merge(const OutcomeCounts& other) {
  ok += other.ok;
  for (const auto& [code, count] : other.status) status[code] += count;
  connect += other.connect;
  io += other.io;
  closed += other.closed;
  timeout += other.timeout;
  parse += other.parse;
}

std::optional<LoadResult> RunLoad(const LoadOptions& options, std::string* error) {
  if (options.connections < 1) {
    *error = "--connections must be at least 1";
    return std::nullopt;
  }
  if (options.threads < 1) {
    *error = "--threads must be at least 1";
    return std::nullopt;
  }
  if (!(options.duration_seconds > 0) || options.warmup_seconds < 0 ||
      !(options.timeout_seconds > 0) || options.rate < 0) {
    *error = "--duration and --timeout must be positive, --warmup and --rate not negative";
    return std::nullopt;
  }
  for (const auto& [name, value] : options.headers) {
    if (EqualsIgnoreCase(name, "content-length") || EqualsIgnoreCase(name, "transfer-encoding")) {
      *error = "header '" + name + "' is set by the load generator from the body";
      return std::nullopt;
    }
    if (name.empty() || name.find_first_of(" :\r\n") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      *error = "bad header '" + name + ": " + value + "'";
      return std::nullopt;
    }
  }

  Plan plan;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(options.url.port);
  if (const int rc = getaddrinfo(options.url.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    *error = "cannot resolve '" + options.url.host + "': " + gai_strerror(rc);
    return std::nullopt;
  }
  std::memcpy(&plan.address, found->ai_addr, found->ai_addrlen);
  plan.address_len = found->ai_addrlen;
  freeaddrinfo(found);

  if (options.bodies.empty()) {
    plan.requests.push_back(BuildRequest(options, nullptr));
  } else {
    for (const std::string& body : options.bodies) {
      plan.requests.push_back(BuildRequest(options, &body));
    }
  }
  plan.head_request = options.method == "HEAD";
  plan.timeout_ns = static_cast<int64_t>(options.timeout_seconds * 1e9);

  const int threads = std::min(options.threads, options.connections);
  const double cpu_before = ProcessCpuSeconds();
  plan.start_ns = NowNanos();
  plan.warmup_end_ns = plan.start_ns + static_cast<int64_t>(options.warmup_seconds * 1e9);
  plan.end_ns = plan.warmup_end_ns + static_cast<int64_t>(options.duration_seconds * 1e9);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < threads; ++t) {
    const int conns = options.connections / threads + (t < options.connections % threads ? 1 : 0);
    const double rate = options.rate * conns / options.connections;
    // Staggered so the threads' due times interleave instead of coinciding.
    const auto offset =
        rate > 0 ? static_cast<int64_t>(1e9 / options.rate * t) : static_cast<int64_t>(0);
    workers.push_back(std::make_unique<Worker>(&plan, conns, rate, offset));
  }
  std::vector<std::thread> running;
  for (auto& w : workers) running.emplace_back([&w] { w->Run(); });
  for (auto& t : running) t.join();

  LoadResult result;
  int64_t last = plan.end_ns;
  for (const auto& w : workers) {
    result.warmup.Merge(w->warmup);
    result.measured.Merge(w->measured);
    result.latency.Merge(w->latency);
    result.unsent += w->unsent;
    result.connections_opened += w->connections_opened;
    last = std::max(last, w->last_measured_outcome_ns);
  }
  result.measured_seconds = static_cast<double>(last - plan.warmup_end_ns) / 1e9;
  result.sample_errors = plan.sample_errors;
  result.cpu_seconds = ProcessCpuSeconds() - cpu_before;
  return result;
}

}  // namespace citadel::loadgen
