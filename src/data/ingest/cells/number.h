// Cell text → number, the one rule used for header detection, feature cells
// and numeric label ordering: optional surrounding spaces/tabs, an optional
// sign, then a decimal or scientific literal that std::from_chars accepts in
// full. Non-finite values (nan, inf) are not numbers here: they are missing
// data, which this first cut does not impute.
#pragma once

#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>

namespace citadel::data {

inline std::optional<double> ParseNumber(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  // from_chars rejects a leading '+', which spreadsheets do write.
  if (text.size() > 1 && text.front() == '+' && text[1] != '-') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace citadel::data
