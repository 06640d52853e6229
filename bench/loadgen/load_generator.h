// The load generator's engine: C keep-alive HTTP/1.1 connections spread over
// T threads, each thread one epoll loop over its connections.
//
// Closed loop (rate 0): every connection sends its next request as soon as
// the previous answer is in. Open loop (rate R): requests fall due at fixed
// intervals (R/s over all connections) whether or not the server keeps up;
// a due request waits for an idle connection, and its latency is measured
// from when it fell due, not from when it was sent, so a slow server cannot
// hide its queueing ("coordinated omission").
//
// Every request issued gets exactly one outcome: a 2xx response (ok, with
// its latency recorded), a non-2xx response (counted by status), or a
// failure — connect (refused, unreachable), io (reset, broken pipe), closed
// (the server closed the connection before the response was complete),
// timeout (no complete response within the timeout; the connection is then
// dropped) or parse (a response that does not frame). Requests are assigned
// to the warm-up or the measured phase by when they were issued; after the
// measured phase no request is issued and those in flight are waited for
// (each bounded by the timeout), so none is lost from the counts.
//
// A connection is reopened after the server closes it (Connection: close, or
// an idle keep-alive timeout); a request that hit a connect failure is
// retried on that connection after 10 ms, as a new request.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "loadgen/latency_histogram.h"
#include "loadgen/target_url.h"

namespace citadel::loadgen {

struct LoadOptions {
  TargetUrl url;
  std::string method = "GET";
  // Sent with every request after Host; Content-Length is added when a body
  // is sent, Content-Type: application/json unless given here.
  std::vector<std::pair<std::string, std::string>> headers;
  // No element: no body. One: every request's body. More: request k sends
  // bodies[k % size] (k counted over all threads).
  std::vector<std::string> bodies;
  int connections = 1;
  int threads = 1;  // at most `connections`
  double duration_seconds = 10;
  double warmup_seconds = 0;
  double rate = 0;  // requests per second over all connections; 0: closed loop
  double timeout_seconds = 10;
};

// Outcomes of the requests issued in one phase.
struct OutcomeCounts {
  uint64_t ok = 0;                 // 2xx
  std::map<int, uint64_t> status;  // non-2xx responses by status code
  uint64_t connect = 0;
  uint64_t io = 0;
  uint64_t closed = 0;
  uint64_t timeout = 0;
  uint64_t parse = 0;

  uint64_t NonOkResponses() const;
  uint64_t Failures() const { return connect + io + closed + timeout + parse; }
  uint64_t Errors() const { return NonOkResponses() + Failures(); }
  uint64_t Requests() const { return ok + Errors(); }
  void Merge(const OutcomeCounts& other);
};

struct LoadResult {
  OutcomeCounts warmup;
  OutcomeCounts measured;
  LatencyHistogram latency;  // of the measured phase's 2xx responses
  // From the end of the warm-up to the last measured request's outcome (at
  // least the duration): the time the measured requests took.
  double measured_seconds = 0;
  // Open loop: requests that fell due but found no idle connection before
  // the end (the server or the connection count could not keep up).
  uint64_t unsent = 0;
  uint64_t connections_opened = 0;
  // User + system CPU the load generator itself spent over the whole run
  // (warm-up included): on a machine it shares with the server, each
  // request's share of this is CPU the server did not get.
  double cpu_seconds = 0;
  // The first few distinct failure messages ("connect: Connection refused").
  std::vector<std::string> sample_errors;
};

// Builds the request bytes, resolves the host once and runs the load.
// Returns nullopt with `*error` set when it cannot start (bad options, host
// not found); everything that fails while running is counted instead.
std::optional<LoadResult> RunLoad(const LoadOptions& options, std::string* error);

}  // namespace citadel::loadgen
