#include "data/pii/column_scan.h"

#include <charconv>
#include <set>
#include <unordered_map>

namespace citadel::data {
namespace {

// ScanColumn over any kind of cell: `text_of(cell, scratch)` gives a cell's
// text (in `scratch` when it has to be made).
template <typename Cell, typename TextOf>
PiiColumnReport ScanCells(std::string_view column, std::span<const Cell> cells, TextOf text_of) {
  PiiColumnReport report;
  report.column = std::string(column);
  report.cells = static_cast<int64_t>(cells.size());
  // Categorical columns repeat a few values on every row: each distinct value
  // is scanned once and its findings counted for all of its cells. Once a
  // column shows more distinct values than that pays for (ids, free text),
  // its remaining new values are scanned directly.
  constexpr size_t kMaxRemembered = 4096;
  std::unordered_map<Cell, int64_t> occurrences;
  std::map<PiiKind, int64_t> counts;
  std::set<PiiKind> kinds;
  std::string scratch;
  auto scan = [&](const Cell& cell, int64_t times) {
    kinds.clear();
    for (const PiiMatch& m : FindPii(text_of(cell, scratch))) kinds.insert(m.kind);
    for (PiiKind kind : kinds) counts[kind] += times;
  };
  for (const Cell& cell : cells) {
    if (auto it = occurrences.find(cell); it != occurrences.end()) {
      ++it->second;
    } else if (occurrences.size() < kMaxRemembered) {
      occurrences.emplace(cell, 1);
    } else {
      scan(cell, 1);
    }
  }
  for (const auto& [cell, times] : occurrences) scan(cell, times);
  for (const auto& [kind, n] : counts) report.counts[std::string(PiiKindName(kind))] = n;
  return report;
}

}  // namespace

PiiColumnReport ScanColumn(std::string_view column, std::span<const std::string_view> cells) {
  return ScanCells(column, cells, [](std::string_view cell, std::string&) { return cell; });
}

PiiColumnReport ScanIntegers(std::string_view column, std::span<const int64_t> values) {
  return ScanCells(column, values, [](int64_t value, std::string& scratch) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
    scratch.assign(digits, end);
    return std::string_view(scratch);
  });
}

}  // namespace citadel::data
