// The one URL form the load generator speaks: http://HOST[:PORT][/PATH].
// No TLS, no user info, no fragment; the query string stays part of the
// request target.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace citadel::loadgen {

struct TargetUrl {
  std::string host;    // "127.0.0.1", "localhost", "::1" (brackets removed)
  uint16_t port = 80;  // 80 when the URL names none
  std::string target;  // request target: path and query, "/" when empty

  // The Host header value: "host:port", IPv6 literals in brackets.
  std::string HostHeader() const;
};

// Parses `text`; on failure returns nullopt and sets `*error` to a message
// naming what is wrong ("--url: only http:// is supported, got 'https://…'").
std::optional<TargetUrl> ParseTargetUrl(std::string_view text, std::string* error);

}  // namespace citadel::loadgen
