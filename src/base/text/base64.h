// Base64 (RFC 4648, standard alphabet, padded) — the encoding of Sigstore
// bundles, DSSE envelopes and PEM bodies.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace citadel {

std::string Base64Encode(std::string_view bytes);

// nullopt unless `text` is padded standard base64 (line breaks are skipped,
// as in PEM bodies).
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace citadel
