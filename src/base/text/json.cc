#include "base/text/json.h"

#include <fmt/format.h>

namespace citadel {

Result<Json> ParseJson(std::string_view text, std::string_view source) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    return InvalidArgumentError(
        fmt::format("{}: invalid JSON at byte {}: {}", source, e.byte, e.what()));
  } catch (const Json::exception& e) {
    // A number past a double's range ("1e999") is out_of_range, not a
    // parse_error: still malformed input, never an escaped exception.
    return InvalidArgumentError(fmt::format("{}: invalid JSON: {}", source, e.what()));
  }
}

std::string CanonicalJson(const Json& value) {
  // Replace invalid UTF-8 instead of throwing: hashing must never crash.
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string PrettyJson(const Json& value) {
  return value.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace citadel
