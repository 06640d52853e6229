// Sampled payload logging: what a deployment was asked and what it answered,
// kept in the workspace's store so operators can inspect it later.
//
// The request path only decides (Sample) and hands over a clipped copy of
// the two bodies (Record): an append to a bounded in-memory buffer, never
// I/O. A background thread writes the buffer every `flush_seconds`, or as
// soon as `records_per_artifact` records wait, as one JSON Lines artifact
// per endpoint (kind `file`, media type application/x-ndjson, name
// `payloads/<endpoint>`, one file `payloads.jsonl`) and records a
// deployment event of kind "payloads" naming it. One line per exchange:
//
//   {"endpoint": "digits", "model": "digits", "version": 3,
//    "artifact": "sha256:…", "request_id": "…", "status": 200,
//    "time": "2026-11-25T22:40:01.123Z", "latency_ms": 1.8,
//    "request_body": "{\"inputs\": …}", "request_encoding": "utf8",
//    "request_bytes": 812, "request_truncated": false,
//    "response_body": "…", "response_encoding": "utf8", …}
//
// A body that is not valid UTF-8 (the binary tensor extension) is stored
// base64 with encoding "base64", so every line stays valid JSON. When the
// buffer is full a record is dropped and counted; a failed write is logged
// and counted; neither ever fails a request or throws.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/status.h"
#include "workload/workspace.h"

namespace citadel::serve {

inline constexpr std::string_view kPayloadsMediaType = "application/x-ndjson";
inline constexpr std::string_view kPayloadsFile = "payloads.jsonl";

// Server-wide settings; what each deployment logs (sample rate, body size)
// is in its spec (routing/deployment_spec.h: PayloadLogging).
struct PayloadLogOptions {
  int64_t records_per_artifact = 1000;  // a flush starts once this many wait
  double flush_seconds = 10;            // and at least this often
  int64_t max_buffered_records = 10000;
  // Bodies are clipped per record, but 10000 records of 2 × 64 KiB would
  // still be 1.3 GB: the buffer is bounded in bytes as well.
  int64_t max_buffered_bytes = int64_t{64} << 20;
};

// One body, clipped on the request path so that only the logged prefix is
// ever copied.
struct PayloadBody {
  std::string bytes;  // at most the max_bytes it was made with
  int64_t size = 0;   // of the whole body
  bool truncated() const { return size > static_cast<int64_t>(bytes.size()); }

  // The first `max_bytes` of `body` (max_bytes ≥ 0), backed off to a UTF-8
  // character boundary so that clipping never turns text into "binary".
  static PayloadBody Of(std::string_view body, int64_t max_bytes);
};

struct PayloadRecord {
  std::string endpoint;
  std::string model;
  int64_t version = 0;
  std::string artifact_id;
  std::string request_id;
  int http_status = 0;
  std::string time;  // ISO 8601 UTC, ms (base/time.h); empty = when recorded
  double latency_ms = 0;
  PayloadBody request;
  PayloadBody response;
};

// Monotonic totals since Open, for /metrics.
struct PayloadLogCounters {
  int64_t records_written = 0;
  // Sampled but never stored: the buffer was full, the log was stopping, or
  // the write of their artifact failed.
  int64_t records_dropped = 0;
  int64_t artifacts_written = 0;
  int64_t write_errors = 0;
};

// Thread-safe: Sample, Record, Flush and counters may be called from any
// number of threads without external synchronization; Stop (or the
// destructor) from one thread, after the request threads are done.
class PayloadLog {
 public:
  // Opens its own connection to the workspace at `workspace_root` (a
  // Workspace, and its catalog connection, is single-threaded; like
  // DeploymentWatcher, the log keeps one for its writer thread alone) and
  // starts that thread. Errors: those of Workspace::Open; InvalidArgument
  // for options that are not positive.
  static Result<std::unique_ptr<PayloadLog>> Open(const std::filesystem::path& workspace_root,
                                                  PayloadLogOptions options = {});
  ~PayloadLog();  // Stop()
  PayloadLog(const PayloadLog&) = delete;
  PayloadLog& operator=(const PayloadLog&) = delete;

  // Whether to log this request: true with probability `rate` (≤ 0 never,
  // ≥ 1 always). A thread-local generator: no lock, no shared state.
  static bool Sample(double rate);

  // Queues one exchange; never blocks on I/O. Dropped and counted when the
  // buffer is full or after Stop().
  void Record(PayloadRecord record);

  // Writes everything queued so far and returns once it is written (or its
  // write failed). For tests and for shutdown paths that want a barrier.
  void Flush();

  // Writes what is buffered, then joins the writer. Idempotent; Records
  // that come later are dropped.
  void Stop();

  PayloadLogCounters counters() const;

 private:
  struct Pending {
    std::vector<PayloadRecord> records;
    std::map<std::string, int64_t> dropped;  // by endpoint, since the last flush
  };
  PayloadLog(PayloadLogOptions options, std::unique_ptr<workload::Workspace> ws);
  void Loop();
  void Write(Pending pending);
  void WriteEndpoint(const std::string& endpoint, std::vector<PayloadRecord>::const_iterator begin,
                     std::vector<PayloadRecord>::const_iterator end, int64_t dropped);

  const PayloadLogOptions options_;
  std::unique_ptr<workload::Workspace> ws_;  // the writer thread's only

  std::mutex mu_;  // guards the members up to thread_
  std::condition_variable wake_;
  std::condition_variable flushed_cv_;
  Pending pending_;
  int64_t pending_bytes_ = 0;
  int64_t flush_requested_ = 0;
  int64_t flush_done_ = 0;
  bool stopping_ = false;
  bool exited_ = false;  // the writer is gone: Flush must not wait for it
  std::thread thread_;

  std::atomic<int64_t> records_written_{0};
  std::atomic<int64_t> records_dropped_{0};
  std::atomic<int64_t> artifacts_written_{0};
  std::atomic<int64_t> write_errors_{0};
};

}  // namespace citadel::serve
