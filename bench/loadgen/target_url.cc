#include "loadgen/target_url.h"

#include <charconv>

namespace citadel::loadgen {

std::string TargetUrl::HostHeader() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<TargetUrl> ParseTargetUrl(std::string_view text, std::string* error) {
  constexpr std::string_view kScheme = "http://";
  if (text.substr(0, kScheme.size()) != kScheme) {
    *error = "only http:// URLs are supported, got '" + std::string(text) + "'";
    return std::nullopt;
  }
  std::string_view rest = text.substr(kScheme.size());
  const size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  TargetUrl url;
  url.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (url.target[0] == '?') url.target.insert(0, "/");
  if (url.target.find('#') != std::string::npos) {
    *error =
        "a URL fragment ('#…') is not sent to servers: remove it from '" + std::string(text) + "'";
    return std::nullopt;
  }
  if (authority.find('@') != std::string_view::npos) {
    *error = "user info in URLs is not supported: '" + std::string(text) + "'";
    return std::nullopt;
  }
  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      *error = "unterminated IPv6 literal in '" + std::string(text) + "'";
      return std::nullopt;
    }
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        *error = "expected ':PORT' after the IPv6 literal in '" + std::string(text) + "'";
        return std::nullopt;
      }
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    if (colon != std::string_view::npos && port_text.empty()) {
      *error = "empty port in '" + std::string(text) + "'";
      return std::nullopt;
    }
  }
  if (url.host.empty()) {
    *error = "no host in '" + std::string(text) + "'";
    return std::nullopt;
  }
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      *error = "bad port '" + std::string(port_text) + "' in '" + std::string(text) + "'";
      return std::nullopt;
    }
    url.port = static_cast<uint16_t>(port);
  }
  return url;
}

}  // namespace citadel::loadgen
