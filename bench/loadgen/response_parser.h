// An incremental HTTP/1.1 response parser for the load generator: fed the
// bytes of one connection as they arrive, it finds where each response ends
// (Content-Length, chunked transfer coding, or the end of the connection)
// and keeps only what a load generator needs — the status code and whether
// the connection may be reused. Bodies are counted, not stored.
//
// Interim 1xx responses (100 Continue, 103 Early Hints) are skipped; a body
// is never expected after a HEAD request or a 204/304 status. Anything that
// does not frame cleanly (bad status line, bad or conflicting Content-Length,
// bad chunk size, a head over 64 KiB) is an error: the caller counts it and
// drops the connection.
//
// Not thread-safe: one parser per connection, used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace citadel::loadgen {

class ResponseParser {
 public:
  enum class State { kIncomplete, kComplete, kError };

  static constexpr size_t kMaxHeadBytes = 64 * 1024;

  // Starts a new response; `head_request`: the request was HEAD (no body).
  void Reset(bool head_request = false);

  // Consumes bytes of `data` up to the end of the current response and sets
  // `*consumed` to how many it used (all of them while kIncomplete). Bytes
  // after a kComplete response belong to whatever the server sent next.
  // After kError, error() says what was wrong; feed nothing more.
  State Feed(std::string_view data, size_t* consumed);

  // The peer closed the connection: completes a response whose body runs
  // to the end of the connection; any other unfinished response is an
  // error ("connection closed after N bytes of the body").
  State FinishAtEof();

  // True once any byte of the current response has arrived.
  bool started() const { return started_; }
  // Valid after kComplete (and once the head is parsed).
  int status() const { return status_; }
  // Whether the connection may carry another request after this response:
  // HTTP/1.1 unless "Connection: close", HTTP/1.0 only with "keep-alive",
  // never after a body delimited by the end of the connection.
  bool keep_alive() const { return keep_alive_; }
  uint64_t body_bytes() const { return body_bytes_; }
  const std::string& error() const { return error_; }

 private:
  enum class Phase {
    kHead,
    kFixedBody,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailers,
    kUntilClose,
    kDone,
    kFailed
  };

  State Fail(std::string message);
  // Parses head_ (status line and headers, without the blank line); sets the
  // body phase. Returns false after Fail().
  bool ParseHead();
  // Appends to line_ up to '\n'; true when a whole line is there (without
  // its CR LF). Sets `*used`.
  bool TakeLine(std::string_view data, size_t* used);

  bool head_request_ = false;
  bool started_ = false;
  Phase phase_ = Phase::kHead;
  std::string head_;
  std::string line_;
  int status_ = 0;
  bool keep_alive_ = true;
  uint64_t remaining_ = 0;  // of the fixed body or the current chunk
  uint64_t body_bytes_ = 0;
  std::string error_;
};

}  // namespace citadel::loadgen
