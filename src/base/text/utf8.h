// UTF-8 validation for text that ends up in JSON (schema.json, run records):
// nlohmann::json refuses to serialise a string that is not valid UTF-8, so
// input text is checked where it enters, with a message naming its origin.
#pragma once

#include <cstddef>
#include <string_view>

namespace citadel {

// True when `text` is well-formed UTF-8 as defined by RFC 3629 and Unicode
// Table 3-7: no overlong encodings, no surrogates (U+D800..U+DFFF), nothing
// above U+10FFFF, no stray continuation bytes or truncated sequences. The
// empty string is valid. Thread-safe (pure function).
bool IsValidUtf8(std::string_view text);

// Length (1–4) of the well-formed UTF-8 sequence that starts at text[pos],
// by the same rules; 0 when none starts there (a stray continuation byte, an
// invalid lead, a truncated or overlong sequence) or pos is past the end.
// For writers that replace bad bytes one at a time instead of refusing.
size_t Utf8SequenceLength(std::string_view text, size_t pos);

}  // namespace citadel
