// UTF-8 validation for text that ends up in JSON (schema.json, run records):
// nlohmann::json refuses to serialise a string that is not valid UTF-8, so
// input text is checked where it enters, with a message naming its origin.
#pragma once

#include <string_view>

namespace citadel {

// True when `text` is well-formed UTF-8 as defined by RFC 3629 and Unicode
// Table 3-7: no overlong encodings, no surrogates (U+D800..U+DFFF), nothing
// above U+10FFFF, no stray continuation bytes or truncated sequences. The
// empty string is valid. Thread-safe (pure function).
bool IsValidUtf8(std::string_view text);

}  // namespace citadel
