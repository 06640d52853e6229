// GGUF, llama.cpp's model format: "GGUF", a version (2 or 3), a tensor
// count and a key/value count (each 64-bit), the key/values (typed: eight
// integer widths, floats, bool, strings, arrays of any of them, arrays
// too), the tensor infos (name, up to 4 dimensions, ggml type, offset), then
// the tensor data, aligned to `general.alignment` (default 32).
//
// GGUF holds no code, but two things in it matter to a scanner: a file
// whose structure lies (counts and lengths past the end, tensors outside
// the data or on top of each other — what crashes or confuses a loader),
// and the chat template (`tokenizer.chat_template`, and the named
// `tokenizer.chat_template.<name>` ones), a Jinja template that runners
// render: chat_template.h looks for server-side template injection in it.
//
// Every count and length is checked against the bytes that remain before
// anything is read or reserved, so a hostile header cannot make the reader
// allocate more than the file's size; nothing is kept but the findings.
#pragma once

#include <string_view>
#include <vector>

#include "scan/findings.h"

namespace citadel::scan {

// Starts with the magic "GGUF".
bool LooksLikeGguf(std::string_view data);

// The findings for a GGUF file (path and entry left empty, offsets in
// `data`): "malformed-gguf" (suspicious) for broken structure,
// "template-injection" (dangerous) for a chat template with injection
// markers. Never fails: what cannot be read is a finding.
std::vector<Finding> ScanGguf(std::string_view data);

}  // namespace citadel::scan
