#include "scan/formats/chat_template.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

namespace citadel::scan {
namespace {

constexpr size_t kMaxMarkers = 16;

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

struct NamedMarker {
  std::string_view name;
  std::string_view why;
};

// Identifiers with no place in a chat template: each is a way from the
// template to Python's objects, modules or the OS.
constexpr std::array<NamedMarker, 20> kIdentifiers = {{
    {"lipsum", "a Jinja global whose __globals__ hold the os module"},
    {"cycler", "a Jinja global whose __init__.__globals__ reach Python's modules"},
    {"joiner", "a Jinja global whose __init__.__globals__ reach Python's modules"},
    {"self", "the template reference, a way to the render context and its globals"},
    {"config", "Flask's config object, a way to Python's modules"},
    {"request", "Flask's request object, a way to Python's modules"},
    {"url_for", "a Flask global whose __globals__ reach Python's modules"},
    {"get_flashed_messages", "a Flask global whose __globals__ reach Python's modules"},
    {"attr", "the filter payloads use to reach attributes without '.' or '_'"},
    {"mro", "walks the class hierarchy to find a dangerous class"},
    {"os", "the os module"},
    {"popen", "runs a shell command"},
    {"subprocess", "runs commands"},
    {"eval", "evaluates Python code"},
    {"exec", "executes Python code"},
    {"import", "imports a Python module"},
    {"getattr", "reaches any attribute by a computed name"},
    {"globals", "reaches a module's globals"},
    {"builtins", "reaches Python's builtins (eval, exec, __import__)"},
    {"func_globals", "reaches a function's module globals"},
}};

// String literals that name what a payload fetches by subscript or attr:
// `__globals__['os']`, `|attr('popen')`. Matched as the whole literal, so
// prose inside a literal ('You can exec code') does not count; 'system' is
// a chat role, not a marker.
constexpr std::array<std::string_view, 11> kLiteralNames = {
    "os",      "popen", "subprocess", "eval",       "exec",  "builtins",
    "globals", "mro",   "getattr",    "subclasses", "import"};

class Finder {
 public:
  explicit Finder(std::string_view text) : text_(text) {}

  std::vector<TemplateMarker> Run() {
    size_t at = 0;
    while (at + 1 < text_.size() && out_.size() < kMaxMarkers) {
      const size_t open = text_.find('{', at);
      if (open == std::string_view::npos || open + 1 >= text_.size()) break;
      const char kind = text_[open + 1];
      if (kind == '#') {
        const size_t close = text_.find("#}", open + 2);
        at = close == std::string_view::npos ? text_.size() : close + 2;
      } else if (kind == '{' || kind == '%') {
        at = Code(open + 2, kind == '{' ? '}' : '%');
      } else {
        at = open + 1;
      }
    }
    return std::move(out_);
  }

 private:
  // Reads code from `at` to its closing "}}" or "%}", outside string
  // literals and brackets (as Jinja's lexer balances them: the "}}" closing
  // a nested dict literal does not end the tag); returns where the literal
  // text resumes.
  size_t Code(size_t at, char closer) {
    int depth = 0;
    while (at < text_.size()) {
      const char c = text_[at];
      if (depth == 0 && c == closer && at + 1 < text_.size() && text_[at + 1] == '}') {
        return at + 2;
      }
      if (c == '{' || c == '(' || c == '[') {
        ++depth;
        ++at;
      } else if (c == '}' || c == ')' || c == ']') {
        depth = std::max(0, depth - 1);
        ++at;
      } else if (c == '\'' || c == '"') {
        at = Literal(at);
      } else if (IsIdentStart(c)) {
        size_t end = at;
        while (end < text_.size() && IsIdentChar(text_[end])) ++end;
        Identifier(text_.substr(at, end - at), at, end);
        at = end;
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        while (at < text_.size() && IsIdentChar(text_[at])) ++at;  // 12, 0x5f: not names
      } else {
        ++at;
      }
    }
    return at;
  }

  size_t Literal(size_t at) {
    const char quote = text_[at];
    size_t end = at + 1;
    while (end < text_.size() && text_[end] != quote) end += text_[end] == '\\' ? 2 : 1;
    const std::string_view body = text_.substr(at + 1, std::min(end, text_.size()) - at - 1);
    std::string lowered(body);
    for (char& ch : lowered) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const std::string_view quoted = text_.substr(at, std::min(end + 1, text_.size()) - at);
    if (body.find("__") != std::string_view::npos) {
      Add(at, quoted, "a string spelling a dunder name, to reach Python internals by attr or [ ]");
    } else if (lowered.find("\\x5f") != std::string::npos ||
               lowered.find("\\u005f") != std::string::npos ||
               lowered.find("\\137") != std::string::npos) {
      Add(at, quoted, "an escaped '_' in a string: a dunder name hidden from filters");
    } else if (std::find(kLiteralNames.begin(), kLiteralNames.end(), body) != kLiteralNames.end()) {
      Add(at, quoted, "a string naming a module or function that runs code");
    }
    return end + 1;
  }

  void Identifier(std::string_view name, size_t at, size_t end) {
    if (name.find("__") != std::string_view::npos) {
      Add(at, name, "a dunder or name-mangled attribute: a way into Python's internals");
      return;
    }
    if (name == "namespace") {
      size_t next = end;
      while (next < text_.size() && text_[next] == ' ') ++next;
      if (next < text_.size() && text_[next] == '.') {
        Add(at, "namespace.", "an attribute of the namespace class, not of a namespace object");
      }
      return;
    }
    for (const NamedMarker& m : kIdentifiers) {
      if (m.name == name) {
        Add(at, name, std::string(m.why));
        return;
      }
    }
  }

  void Add(size_t at, std::string_view marker, std::string why) {
    if (out_.size() >= kMaxMarkers || !seen_.insert(std::string(marker)).second) return;
    out_.push_back({at, std::string(marker.substr(0, 64)), std::move(why)});
  }

  std::string_view text_;
  std::vector<TemplateMarker> out_;
  std::set<std::string> seen_;
};

}  // namespace

std::vector<TemplateMarker> FindTemplateInjection(std::string_view text) {
  return Finder(text).Run();
}

}  // namespace citadel::scan
