// Server-side template injection in chat templates. A GGUF file's
// `tokenizer.chat_template` and a Hugging Face tokenizer_config.json's
// `chat_template` are Jinja templates that runners render on every request:
// llama-cpp-python before 0.2.72 rendered them outside Jinja's sandbox
// (CVE-2024-34359), and so do other Python servers. A template has no
// business touching Python objects, so the markers of a payload are
// telling: dunder attributes (`__class__`, `__globals__`, `__subclasses__`,
// `__import__`, `__init__`, `__builtins__`, `__mro__`), the Jinja and Flask
// globals that lead to a module's globals (`lipsum`, `cycler`, `joiner`,
// `self`, `config`, `request`, `url_for`, `namespace.`), the `attr` filter
// payloads use to dodge `.` and `_` filters, names of the OS and code
// execution (`os`, `popen`, `subprocess`, `eval`, `exec`, `system`,
// `import`, `getattr`, `mro`), and string literals that spell dunders, with
// or without escapes (`'\x5f\x5f'`).
//
// Only the code of the template is read — `{{ … }}` and `{% … %}` —
// never its literal text, which is printed as is: a system prompt that
// says "exec" is not a payload. Comments (`{# … #}`) are skipped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace citadel::scan {

struct TemplateMarker {
  uint64_t offset = 0;  // in the template text
  std::string marker;   // as written: "__globals__", "lipsum", "'\x5f\x5fclass'"
  std::string why;      // for a person
};

// Every distinct marker of template injection in `text`, first occurrence
// each, at most 16. Never fails: an unterminated tag is read to the end.
std::vector<TemplateMarker> FindTemplateInjection(std::string_view text);

}  // namespace citadel::scan
