#include "data/table/column.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace citadel::data {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

// Howard Hinnant's days_from_civil: proleptic Gregorian date → days since
// 1970-01-01, exact for every year we can represent.
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int64_t DaysInMonth(int64_t y, int64_t m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at `pos`.
bool Digits(std::string_view s, size_t& pos, size_t n, int64_t& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

template <typename T>
void KeepIn(std::vector<T>& v, std::span<const size_t> rows) {
  if (v.empty()) return;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] != i) v[i] = std::move(v[rows[i]]);
  }
  v.resize(rows.size());
}

}  // namespace

std::string_view ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kInt:
      return "int";
    case ColumnType::kFloat:
      return "float";
    case ColumnType::kBool:
      return "bool";
    case ColumnType::kString:
      return "string";
    case ColumnType::kTimestamp:
      return "timestamp";
  }
  return "?";
}

std::optional<ColumnType> ParseColumnType(std::string_view name) {
  if (name == "int" || name == "integer") return ColumnType::kInt;
  if (name == "float" || name == "double") return ColumnType::kFloat;
  if (name == "bool" || name == "boolean") return ColumnType::kBool;
  if (name == "string" || name == "categorical" || name == "text") return ColumnType::kString;
  if (name == "timestamp" || name == "date" || name == "datetime") return ColumnType::kTimestamp;
  return std::nullopt;
}

Column Column::Empty(std::string name, ColumnType type, std::vector<std::string> sources) {
  Column c;
  c.name = std::move(name);
  c.type = type;
  c.sources = std::move(sources);
  return c;
}

Column Column::Floats(std::string name, std::vector<double> values,
                      std::vector<std::string> sources) {
  Column c = Empty(std::move(name), ColumnType::kFloat, std::move(sources));
  c.valid.assign(values.size(), 1);
  c.floats = std::move(values);
  return c;
}

size_t Column::CountMissing() const {
  return static_cast<size_t>(std::count(valid.begin(), valid.end(), uint8_t{0}));
}

void Column::AppendMissing() {
  valid.push_back(0);
  switch (type) {
    case ColumnType::kFloat:
      floats.push_back(0.0);
      break;
    case ColumnType::kString:
      strings.emplace_back();
      break;
    default:
      ints.push_back(0);
  }
}

void Column::Append(int64_t value) {
  valid.push_back(1);
  ints.push_back(value);
}

void Column::Append(double value) {
  valid.push_back(1);
  floats.push_back(value);
}

void Column::Append(std::string value) {
  valid.push_back(1);
  strings.push_back(std::move(value));
}

void Column::KeepRows(std::span<const size_t> rows) {
  KeepIn(ints, rows);
  KeepIn(floats, rows);
  KeepIn(strings, rows);
  KeepIn(valid, rows);
}

std::string Column::CellText(size_t row) const {
  if (!is_valid(row)) return "";
  switch (type) {
    case ColumnType::kInt:
      return std::to_string(ints[row]);
    case ColumnType::kFloat: {
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, floats[row]);
      return std::string(buf, end);
    }
    case ColumnType::kBool:
      return ints[row] != 0 ? "true" : "false";
    case ColumnType::kString:
      return strings[row];
    case ColumnType::kTimestamp:
      return FormatTimestamp(ints[row]);
  }
  return "";
}

std::string ShortenForMessage(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t cut = max_bytes;
  // Never split a UTF-8 sequence: back up over continuation bytes (10xxxxxx).
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "…";
}

void MergeSources(std::vector<std::string>& into, const std::vector<std::string>& from) {
  for (const std::string& name : from) {
    auto it = std::lower_bound(into.begin(), into.end(), name);
    if (it == into.end() || *it != name) into.insert(it, name);
  }
}

CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp + (mp < 10 ? 3 : -9);
  return {yoe + era * 400 + (m <= 2), m, d};
}

std::string FormatTimestamp(int64_t micros) {
  int64_t seconds = micros / kMicrosPerSecond;
  int64_t frac = micros % kMicrosPerSecond;
  if (frac < 0) {
    frac += kMicrosPerSecond;
    --seconds;
  }
  int64_t days = seconds / kSecondsPerDay;
  int64_t rem = seconds % kSecondsPerDay;
  if (rem < 0) {
    rem += kSecondsPerDay;
    --days;
  }
  const CivilDate date = CivilFromDays(days);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", date.year, date.month,
                                date.day, rem / 3600, rem / 60 % 60, rem % 60);
  if (frac != 0) out += fmt::format(".{:06}", frac);
  return out + "Z";
}

std::optional<int64_t> ParseTimestamp(std::string_view s) {
  size_t pos = 0;
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, micros = 0;
  if (!Digits(s, pos, 4, y) || pos >= s.size() || s[pos++] != '-' || !Digits(s, pos, 2, mo) ||
      pos >= s.size() || s[pos++] != '-' || !Digits(s, pos, 2, d)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo)) return std::nullopt;
  int64_t offset_minutes = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != ' ') return std::nullopt;
    ++pos;
    if (!Digits(s, pos, 2, h) || pos >= s.size() || s[pos++] != ':' || !Digits(s, pos, 2, mi)) {
      return std::nullopt;
    }
    if (pos < s.size() && s[pos] == ':') {
      ++pos;
      if (!Digits(s, pos, 2, sec)) return std::nullopt;
      if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        size_t start = pos;
        int64_t scale = 100'000;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          micros += (s[pos] - '0') * scale;  // digits past microseconds are truncated
          scale /= 10;
          ++pos;
        }
        if (pos == start) return std::nullopt;
      }
    }
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;  // 60: a leap second
    if (pos < s.size()) {
      if (s[pos] == 'Z' && pos + 1 == s.size()) {
        ++pos;
      } else if (s[pos] == '+' || s[pos] == '-') {
        int sign = s[pos++] == '-' ? -1 : 1;
        int64_t oh = 0, om = 0;
        if (!Digits(s, pos, 2, oh)) return std::nullopt;
        if (pos < s.size() && s[pos] == ':') ++pos;
        if (!Digits(s, pos, 2, om) || oh > 23 || om > 59) return std::nullopt;
        offset_minutes = sign * (oh * 60 + om);
      }
    }
  }
  if (pos != s.size()) return std::nullopt;
  int64_t seconds =
      DaysFromCivil(y, mo, d) * kSecondsPerDay + h * 3600 + mi * 60 + sec - offset_minutes * 60;
  return seconds * kMicrosPerSecond + micros;
}

}  // namespace citadel::data
