#include "base/text/byte_size.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <utility>

namespace citadel {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<uint64_t> ParseByteSize(std::string_view text) {
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0},
      {"KB", 1e3},     {"MB", 1e6},        {"GB", 1e9},           {"TB", 1e12},
      {"B", 1.0}};
  text = Trim(text);
  double multiplier = 1.0;
  for (const auto& [unit, factor] : kUnits) {
    if (text.size() > unit.size() && text.ends_with(unit)) {
      text = Trim(text.substr(0, text.size() - unit.size()));
      multiplier = factor;
      break;
    }
  }
  if (text.empty() || !(text.front() >= '0' && text.front() <= '9')) return std::nullopt;
  double value = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::fixed);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  const double bytes = std::floor(value * multiplier);
  if (!std::isfinite(bytes) || bytes < 0 || bytes >= 9223372036854775808.0) return std::nullopt;
  return static_cast<uint64_t>(bytes);
}

std::string FormatByteSize(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
    value /= 1024.0;
    ++unit;
  }
  if (unit == 0) return fmt::format("{} B", bytes);
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

}  // namespace citadel
