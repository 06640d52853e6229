// FormatProfile: the profile JSON as a fixed-width text table for the CLI.
#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "data/profile/table_profile.h"

namespace citadel::data {
namespace {

constexpr size_t kMinNameWidth = 6;
constexpr size_t kMaxNameWidth = 32;
constexpr size_t kTypeWidth = 9;
constexpr size_t kMissingWidth = 8;
constexpr size_t kDistinctWidth = 9;
constexpr size_t kValueWidth = 20;  // min, max
constexpr size_t kMeanWidth = 11;
constexpr size_t kTopWidth = 32;

const Json* Member(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// The field as text: "" when absent or null, numbers in short form.
std::string Text(const Json& object, std::string_view key) {
  const Json* v = Member(object, key);
  if (v == nullptr || v->is_null()) return "";
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number_unsigned()) return std::to_string(v->get<uint64_t>());
  if (v->is_number_integer()) return std::to_string(v->get<int64_t>());
  if (v->is_number_float()) return fmt::format("{:.6g}", v->get<double>());
  return v->dump();
}

double Number(const Json& object, std::string_view key) {
  const Json* v = Member(object, key);
  return v != nullptr && v->is_number() ? v->get<double>() : 0.0;
}

size_t CodePoints(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// `text` in exactly `width` display cells (one per code point): control
// characters become spaces so a cell cannot break the line, longer text ends
// in "…", shorter text is padded on the left or right.
std::string Cell(std::string_view text, size_t width, bool right = false) {
  std::string clean;
  size_t points = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    bool starts_point = (c & 0xC0) != 0x80;
    if (starts_point && points + 1 == width && CodePoints(text.substr(i)) > 1) {
      clean += "…";
      ++points;
      break;
    }
    if (starts_point) ++points;
    clean += c < 0x20 || c == 0x7F ? ' ' : static_cast<char>(c);
  }
  std::string pad(width - std::min(width, points), ' ');
  return right ? pad + clean : clean + pad;
}

std::string Row(const std::string& name, size_t name_width, std::string_view type,
                std::string_view missing, std::string_view distinct, std::string_view min,
                std::string_view max, std::string_view mean, std::string_view top) {
  std::string line = Cell(name, name_width) + "  " + Cell(type, kTypeWidth) + " " +
                     Cell(missing, kMissingWidth, true) + " " +
                     Cell(distinct, kDistinctWidth, true) + "  " + Cell(min, kValueWidth) + "  " +
                     Cell(max, kValueWidth) + "  " + Cell(mean, kMeanWidth) + "  " +
                     Cell(top, kTopWidth);
  line.erase(line.find_last_not_of(' ') + 1);
  return line + "\n";
}

// "email in 998 cells, phone in 2 cells"; "" when the column has no PII.
std::string PiiSummary(const Json& column) {
  const Json* pii = Member(column, "pii");
  if (pii == nullptr || !pii->is_object()) return "";
  std::string out;
  for (const auto& [kind, cells] : pii->items()) {
    if (!cells.is_number() || cells.get<double>() <= 0) continue;
    out += fmt::format("{}{} in {} cell{}", out.empty() ? "" : ", ", kind, Text(*pii, kind),
                       cells.get<double>() == 1 ? "" : "s");
  }
  return out;
}

}  // namespace

std::string FormatProfile(const Json& profile) {
  const Json* columns_json = Member(profile, "columns");
  static const Json kNoColumns = Json::array();
  const Json& columns =
      columns_json != nullptr && columns_json->is_array() ? *columns_json : kNoColumns;
  double rows = Number(profile, "rows");
  std::string out =
      fmt::format("{}: {} rows, {} columns\n",
                  Text(profile, "source").empty() ? "(table)" : Text(profile, "source"),
                  Text(profile, "rows").empty() ? "0" : Text(profile, "rows"), columns.size());
  if (columns.empty()) return out;

  size_t name_width = kMinNameWidth;
  for (const Json& c : columns) name_width = std::max(name_width, CodePoints(Text(c, "name")));
  name_width = std::min(name_width, kMaxNameWidth);

  out += Row("column", name_width, "type", "missing", "distinct", "min", "max", "mean", "top");
  for (const Json& c : columns) {
    std::string missing =
        rows > 0 ? fmt::format("{:.1f}%", 100.0 * Number(c, "missing") / rows) : "-";
    std::string top;
    if (const Json* t = Member(c, "top"); t != nullptr && t->is_array() && !t->empty()) {
      top = fmt::format("{} ({})", Text((*t)[0], "value"), Text((*t)[0], "count"));
    }
    out += Row(Text(c, "name"), name_width, Text(c, "type"), missing, Text(c, "distinct"),
               Text(c, "min"), Text(c, "max"), Text(c, "mean"), top);
  }
  for (const Json& c : columns) {
    std::string pii = PiiSummary(c);
    if (pii.empty()) continue;
    out += fmt::format(
        "warning: column '{}' holds PII ({}); drop it, hash it or mask it before export\n",
        Text(c, "name"), pii);
  }
  return out;
}

}  // namespace citadel::data
