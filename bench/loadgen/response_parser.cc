#include "loadgen/response_parser.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace citadel::loadgen {
namespace {

constexpr size_t kMaxLineBytes = 8 * 1024;  // a chunk-size or trailer line

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether the comma-separated list `value` holds `token` (case-insensitive).
bool HasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    if (EqualsIgnoreCase(Trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// The last coding of a Transfer-Encoding list, lower-cased.
std::string LastCoding(std::string_view value) {
  const size_t comma = value.rfind(',');
  std::string_view last = Trim(comma == std::string_view::npos ? value : value.substr(comma + 1));
  std::string out(last);
  std::transform(out.begin(), out.end(), out.begin(), Lower);
  return out;
}

}  // namespace

void ResponseParser::Reset(bool head_request) {
  head_request_ = head_request;
  started_ = false;
  phase_ = Phase::kHead;
  head_.clear();
  line_.clear();
  status_ = 0;
  keep_alive_ = true;
  remaining_ = 0;
  body_bytes_ = 0;
  error_.clear();
}

ResponseParser::State ResponseParser::Fail(std::string message) {
  phase_ = Phase::kFailed;
  keep_alive_ = false;
  error_ = std::move(message);
  return State::kError;
}

bool ResponseParser::TakeLine(std::string_view data, size_t* used) {
  const void* nl = std::memchr(data.data(), '\n', data.size());
  if (nl == nullptr) {
    line_.append(data);
    *used = data.size();
    return false;
  }
  const size_t end = static_cast<const char*>(nl) - data.data();
  line_.append(data.substr(0, end));
  *used = end + 1;
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  return true;
}

bool ResponseParser::ParseHead() {
  std::string_view head = head_;
  const size_t eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  std::string_view headers = eol == std::string_view::npos ? "" : head.substr(eol + 2);
  // "HTTP/1.1 200 OK": version, three digits, an optional reason.
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
      (status_line[7] != '0' && status_line[7] != '1') || status_line[8] != ' ') {
    Fail("bad status line '" + std::string(status_line.substr(0, 80)) + "'");
    return false;
  }
  const bool http10 = status_line[7] == '0';
  int status = 0;
  auto [end, ec] = std::from_chars(status_line.data() + 9, status_line.data() + 12, status);
  if (ec != std::errc() || end != status_line.data() + 12 || status < 100 || status > 999 ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    Fail("bad status code in '" + std::string(status_line.substr(0, 80)) + "'");
    return false;
  }
  status_ = status;

  bool has_length = false;
  uint64_t length = 0;
  std::string coding;
  bool conn_close = false;
  bool conn_keep_alive = false;
  while (!headers.empty()) {
    const size_t line_end = headers.find("\r\n");
    std::string_view line = headers.substr(0, line_end);
    headers = line_end == std::string_view::npos ? "" : headers.substr(line_end + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 || line[0] == ' ' || line[0] == '\t') {
      Fail("bad header line '" + std::string(line.substr(0, 80)) + "'");
      return false;
    }
    std::string_view name = line.substr(0, colon);
    std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoreCase(name, "content-length")) {
      uint64_t n = 0;
      auto [p, e] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (e != std::errc() || p != value.data() + value.size() || value.empty() ||
          (has_length && n != length)) {
        Fail("bad or conflicting Content-Length '" + std::string(value.substr(0, 40)) + "'");
        return false;
      }
      has_length = true;
      length = n;
    } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
      coding = LastCoding(value);
    } else if (EqualsIgnoreCase(name, "connection")) {
      conn_close = conn_close || HasToken(value, "close");
      conn_keep_alive = conn_keep_alive || HasToken(value, "keep-alive");
    }
  }

  if (status_ < 200) {
    if (status_ == 101) {
      Fail("101 Switching Protocols is not supported");
      return false;
    }
    // An interim response: the final one follows on the same connection.
    head_.clear();
    phase_ = Phase::kHead;
    return true;
  }
  keep_alive_ = http10 ? (conn_keep_alive && !conn_close) : !conn_close;
  if (head_request_ || status_ == 204 || status_ == 304) {
    phase_ = Phase::kDone;
  } else if (!coding.empty()) {
    // RFC 9112 6.3: chunked when it is the last coding; otherwise the body
    // runs to the end of the connection. Content-Length is then ignored.
    if (coding == "chunked") {
      phase_ = Phase::kChunkSize;
    } else {
      phase_ = Phase::kUntilClose;
      keep_alive_ = false;
    }
  } else if (has_length) {
    remaining_ = length;
    phase_ = length == 0 ? Phase::kDone : Phase::kFixedBody;
  } else {
    phase_ = Phase::kUntilClose;
    keep_alive_ = false;
  }
  return true;
}

ResponseParser::State ResponseParser::Feed(std::string_view data, size_t* consumed) {
  if (!data.empty()) started_ = true;
  size_t pos = 0;
  for (;;) {
    std::string_view rest = data.substr(pos);
    switch (phase_) {
      case Phase::kHead: {
        if (rest.empty()) {
          *consumed = pos;
          return State::kIncomplete;
        }
        const size_t old_size = head_.size();
        const size_t search_from = old_size >= 3 ? old_size - 3 : 0;
        head_.append(rest.substr(0, kMaxHeadBytes + 4 - std::min(old_size, kMaxHeadBytes)));
        const size_t blank = head_.find("\r\n\r\n", search_from);
        if (blank == std::string::npos) {
          if (head_.size() > kMaxHeadBytes) {
            return Fail("response head over " + std::to_string(kMaxHeadBytes) + " bytes");
          }
          *consumed = pos + rest.size();
          return State::kIncomplete;
        }
        pos += blank + 4 - old_size;
        head_.resize(blank);
        if (!ParseHead()) return State::kError;
        break;
      }
      case Phase::kFixedBody:
      case Phase::kChunkData: {
        const uint64_t n = std::min<uint64_t>(remaining_, rest.size());
        pos += n;
        remaining_ -= n;
        body_bytes_ += n;
        if (remaining_ > 0) {
          *consumed = pos;
          return State::kIncomplete;
        }
        phase_ = phase_ == Phase::kFixedBody ? Phase::kDone : Phase::kChunkDataEnd;
        break;
      }
      case Phase::kChunkSize:
      case Phase::kChunkDataEnd:
      case Phase::kTrailers: {
        size_t used = 0;
        const bool whole = TakeLine(rest, &used);
        pos += used;
        if (!whole) {
          if (line_.size() > kMaxLineBytes) return Fail("chunk-size or trailer line too long");
          *consumed = pos;
          return State::kIncomplete;
        }
        std::string line = std::move(line_);
        line_.clear();
        if (phase_ == Phase::kChunkDataEnd) {
          if (!line.empty()) return Fail("missing CRLF after chunk data");
          phase_ = Phase::kChunkSize;
        } else if (phase_ == Phase::kTrailers) {
          if (line.empty()) phase_ = Phase::kDone;
        } else {
          std::string_view size_text = line;
          size_text = Trim(size_text.substr(0, size_text.find(';')));
          uint64_t size = 0;
          auto [p, e] =
              std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
          if (e != std::errc() || p != size_text.data() + size_text.size() || size_text.empty()) {
            return Fail("bad chunk size '" + line.substr(0, 40) + "'");
          }
          remaining_ = size;
          phase_ = size == 0 ? Phase::kTrailers : Phase::kChunkData;
        }
        break;
      }
      case Phase::kUntilClose:
        body_bytes_ += rest.size();
        *consumed = data.size();
        return State::kIncomplete;
      case Phase::kDone:
        *consumed = pos;
        return State::kComplete;
      case Phase::kFailed:
        *consumed = pos;
        return State::kError;
    }
  }
}

ResponseParser::State ResponseParser::FinishAtEof() {
  switch (phase_) {
    case Phase::kUntilClose:
    case Phase::kDone:
      phase_ = Phase::kDone;
      return State::kComplete;
    case Phase::kFailed:
      return State::kError;
    case Phase::kHead:
      return Fail(started_ ? "connection closed inside the response head"
                           : "connection closed before any response byte");
    default:
      return Fail("connection closed after " + std::to_string(body_bytes_) +
                  " bytes of the response body");
  }
}

}  // namespace citadel::loadgen
