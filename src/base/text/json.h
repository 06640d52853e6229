// JSON helpers. Json is nlohmann::json, whose objects keep keys sorted, so a
// compact dump is canonical: equal values serialise to equal bytes. Digests of
// specs and manifests rely on that.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/status.h"

namespace citadel {

using Json = nlohmann::json;

// Parses `text`; errors name `source` and the byte offset.
Result<Json> ParseJson(std::string_view text, std::string_view source);

// Compact, keys sorted: the form that gets hashed.
std::string CanonicalJson(const Json& value);

// Indented for people (2 spaces) with a trailing newline.
std::string PrettyJson(const Json& value);

}  // namespace citadel
