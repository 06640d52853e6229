#include "data/ingest/cells/cell_text.h"

#include <cstdlib>

namespace citadel::data {

bool ParseDoubleCell(std::string_view text, double& out) {
  text = StripPlus(text);
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = FromCharsDouble(text.data(), end, out);
  if (ptr != end) return false;
  if (ec == std::errc()) return true;
  if (ec != std::errc::result_out_of_range) return false;
  // A well-formed literal beyond the double range: from_chars leaves `out`
  // unset, strtod gives the IEEE result (±inf on overflow, ±0 or a denormal
  // on underflow). Rare enough that the copy for its terminating NUL is free.
  std::string terminated(text);
  out = std::strtod(terminated.c_str(), nullptr);
  return true;
}

bool ParseBoolCell(std::string_view text, bool& out) {
  auto equals = [text](std::string_view word) {
    if (text.size() != word.size()) return false;
    for (size_t i = 0; i < word.size(); ++i) {
      char c = text[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != word[i]) return false;
    }
    return true;
  };
  if (equals("true")) {
    out = true;
    return true;
  }
  if (equals("false")) {
    out = false;
    return true;
  }
  return false;
}

MissingTokens::MissingTokens(const std::vector<std::string>& tokens) {
  for (const std::string& token : tokens) {
    std::string_view t = TrimBlanks(token);
    tokens_.emplace_back(t);
    if (t.size() < 64) length_mask_ |= uint64_t{1} << t.size();
    if (!t.empty() && StartsNumber(t[0])) any_numeric_start_ = true;
  }
}

}  // namespace citadel::data
