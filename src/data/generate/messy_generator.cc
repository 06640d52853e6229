// GenerateMessyCsv(): every original row is drawn from its own SeededRng,
// seeded from (seed, row's source index), so a duplicate is produced by
// drawing the source row again; nothing but the current row is held in memory.
#include "data/generate/messy_generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <string_view>

#include "base/random.h"
#include "data/generate/synthetic_pii.h"
#include "data/pii/pii_detector.h"

namespace citadel::data {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Uniform in [0, 1) from the top 53 bits of one draw.
double Uniform(SeededRng& rng) { return static_cast<double>(rng.Next() >> 11) * 0x1.0p-53; }

bool Chance(SeededRng& rng, double p) { return Uniform(rng) < p; }

// Standard normal by Box–Muller (one of the pair is discarded: simpler state).
double Normal(SeededRng& rng) {
  double u1 = 1.0 - Uniform(rng);  // (0, 1]: log(u1) is finite
  double u2 = Uniform(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

template <typename T, size_t N>
const T& Pick(SeededRng& rng, const std::array<T, N>& items) {
  return items[static_cast<size_t>(rng.Below(N))];
}

// Proleptic Gregorian date of `days` since 1970-01-01 (H. Hinnant's algorithm).
std::string IsoDate(int64_t days) {
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  int64_t doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return fmt::format("{:04d}-{:02d}-{:02d}", year, month, day);
}

constexpr int64_t kFirstSignupDay = 16436;  // 2015-01-01
constexpr int64_t kSignupDays = 3653;       // through 2024-12-31
constexpr uint64_t kIdSpace = 900'000'000;  // 9-digit ids: 100000000..999999999
constexpr uint64_t kIdStride = 611'953;     // coprime with kIdSpace: a permutation

constexpr std::array<std::string_view, 12> kCountries = {"US", "GB", "DE", "FR", "NL", "ES",
                                                         "IT", "CA", "AU", "JP", "BR", "IN"};
constexpr std::array<std::string_view, 4> kSegments = {"a", "b", "c", "d"};
constexpr std::array<int, 4> kAgeOutliers = {999, 150, 0, -1};

// PII columns in schema order, with the kind each one holds.
constexpr std::array<std::pair<std::string_view, PiiKind>, 6> kPiiColumns = {{
    {"email", PiiKind::kEmail},
    {"phone", PiiKind::kPhone},
    {"card_number", PiiKind::kPaymentCard},
    {"iban", PiiKind::kIban},
    {"ssn", PiiKind::kNationalId},
    {"ip_address", PiiKind::kIpAddress},
}};
constexpr std::array<PiiKind, 6> kAllKinds = {PiiKind::kEmail,       PiiKind::kPhone,
                                              PiiKind::kPaymentCard, PiiKind::kIban,
                                              PiiKind::kNationalId,  PiiKind::kIpAddress};

// Ordinary notes: no digits, so they can never hold PII by accident; some
// need quoting (comma, quote, line break).
constexpr std::array<std::string_view, 14> kSentences = {
    "Customer prefers contact by post.",
    "Asked about the premium plan, no decision yet.",
    "Said \"happy with the service\" on the last call.",
    "Complained about late delivery.\nEscalated to support.",
    "Renewal reminder sent.",
    "Interested in the family bundle.",
    "Requested a paper invoice instead of the portal.",
    "No answer; left a voicemail.",
    "Moved to a new city, address pending.",
    "Very price sensitive - watch for discounts.",
    "Closed the ticket after a short chat.",
    "Wants fewer marketing e-mails.",
    "Referred a friend last quarter.",
    "Account reviewed by the retention team.",
};

// A sentence around a PII value; the value is followed by a space, a full stop
// or the end of the cell, as in real notes.
constexpr std::array<std::string_view, 6> kPiiSentences = {
    "Please use {} from now on.",         "Updated contact details: {}",
    "Customer gave {} on the phone.",     "Verified {} against the file.",
    "Note for billing - {} (confirmed).", "Old record shows {}."};

struct Row {
  std::vector<std::string> cells;
  std::vector<std::pair<size_t, std::pair<PiiKind, std::string>>> pii;  // (column, kind/value)
};

std::string Notes(SeededRng& rng, Row& row) {
  std::vector<std::string> parts;
  int ordinary = 1 + static_cast<int>(rng.Below(2));
  for (int i = 0; i < ordinary; ++i) parts.emplace_back(Pick(rng, kSentences));
  if (Chance(rng, 0.25)) {
    PiiKind kind = Pick(rng, kAllKinds);
    std::string value = synth::SyntheticPii(kind, rng);
    std::string_view tmpl = Pick(rng, kPiiSentences);
    size_t at = tmpl.find("{}");
    std::string sentence =
        std::string(tmpl.substr(0, at)) + value + std::string(tmpl.substr(at + 2));
    size_t pos = static_cast<size_t>(rng.Below(parts.size() + 1));
    parts.insert(parts.begin() + static_cast<std::ptrdiff_t>(pos), std::move(sentence));
    row.pii.push_back({row.cells.size(), {kind, std::move(value)}});
  }
  std::string text;
  for (const std::string& part : parts) {
    if (!text.empty()) text += Chance(rng, 0.05) ? "\n" : " ";
    text += part;
  }
  return text;
}

// Draws original row number `source`.
Row MakeRow(const GeneratorOptions& o, uint64_t source) {
  SeededRng rng(SplitMix64(o.seed ^ SplitMix64(source + 1)));
  Row row;
  uint64_t id_offset = SplitMix64(o.seed) % kIdSpace;
  row.cells.push_back(fmt::format("{}", 100'000'000 + (source * kIdStride + id_offset) % kIdSpace));

  bool outlier = Chance(rng, o.outlier_rate);
  bool outlier_age = outlier && rng.Below(2) == 0;
  bool outlier_income = outlier && !outlier_age;
  auto missing = [&](bool is_outlier) { return Chance(rng, o.missing_rate) && !is_outlier; };

  int age = outlier_age
                ? Pick(rng, kAgeOutliers)
                : static_cast<int>(std::clamp(std::lround(42.0 + 14.0 * Normal(rng)), 18L, 90L));
  double income = std::exp(10.8 + 0.6 * std::clamp(Normal(rng), -4.0, 4.0));
  if (outlier_income) income *= 1000.0;
  std::string_view country = Chance(rng, 0.02) ? "XX" : Pick(rng, kCountries);
  std::string_view segment = Pick(rng, kSegments);
  std::string date = IsoDate(kFirstSignupDay + static_cast<int64_t>(rng.Below(kSignupDays)));
  double score = Uniform(rng);
  bool churned = Uniform(rng) < 0.05 + 0.6 * score;

  row.cells.push_back(missing(outlier_age) ? "" : fmt::format("{}", age));
  row.cells.push_back(missing(outlier_income) ? "" : fmt::format("{:.2f}", income));
  row.cells.push_back(missing(false) ? "" : std::string(country));
  row.cells.push_back(missing(false) ? "" : std::string(segment));
  row.cells.push_back(missing(false) ? "" : date);
  row.cells.push_back(missing(false) ? "" : fmt::format("{:.4f}", score));
  row.cells.push_back(churned ? "1" : "0");
  if (!o.with_pii) return row;

  for (const auto& [column, kind] : kPiiColumns) {
    std::string value = synth::SyntheticPii(kind, rng);
    if (missing(false)) {
      row.cells.emplace_back();
    } else {
      row.pii.push_back({row.cells.size(), {kind, value}});
      row.cells.push_back(std::move(value));
    }
  }
  row.cells.push_back(missing(false) ? "" : Notes(rng, row));
  return row;
}

void AppendCell(std::string& line, std::string_view cell) {
  if (cell.find_first_of(",\"\r\n") == std::string_view::npos) {
    line.append(cell);
    return;
  }
  line.push_back('"');
  for (char c : cell) {
    if (c == '"') line.push_back('"');
    line.push_back(c);
  }
  line.push_back('"');
}

void AppendRow(std::string& buffer, const std::vector<std::string>& cells) {
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) buffer.push_back(',');
    AppendCell(buffer, cells[i]);
  }
  buffer.push_back('\n');
}

bool RateOk(double r) { return r >= 0.0 && r <= 1.0; }  // false for NaN

}  // namespace

std::vector<std::string> MessyColumns(bool with_pii) {
  std::vector<std::string> columns = {"customer_id", "age",         "income", "country",
                                      "segment",     "signup_date", "score",  "churned"};
  if (with_pii) {
    for (const auto& [column, kind] : kPiiColumns) columns.emplace_back(column);
    columns.emplace_back("notes");
  }
  return columns;
}

Result<std::vector<PiiTruth>> GenerateMessyCsv(const GeneratorOptions& options, std::ostream& out) {
  if (options.rows < 1 || options.rows > kMaxGeneratedRows) {
    return InvalidArgumentError(
        fmt::format("rows must be in 1..{}, got {}", kMaxGeneratedRows, options.rows));
  }
  if (!RateOk(options.missing_rate) || !RateOk(options.duplicate_rate) ||
      !RateOk(options.outlier_rate)) {
    return InvalidArgumentError(
        fmt::format("rates must be in [0, 1]; got missing {}, duplicate {}, outlier {}",
                    options.missing_rate, options.duplicate_rate, options.outlier_rate));
  }
  std::vector<std::string> columns = MessyColumns(options.with_pii);
  std::string buffer;
  AppendRow(buffer, columns);

  std::vector<PiiTruth> truth;
  SeededRng plan(SplitMix64(options.seed ^ 0xd1b54a32d192ed03ULL));
  uint64_t originals = 0;
  constexpr size_t kFlushBytes = 1 << 20;
  for (int64_t i = 0; i < options.rows; ++i) {
    uint64_t source = originals;
    if (i > 0 && Chance(plan, options.duplicate_rate)) {
      source = plan.Below(originals);
    } else {
      ++originals;
    }
    Row row = MakeRow(options, source);
    AppendRow(buffer, row.cells);
    for (auto& [column, pii] : row.pii) {
      truth.push_back(
          PiiTruth{i, columns[column], std::string(PiiKindName(pii.first)), std::move(pii.second)});
    }
    if (buffer.size() >= kFlushBytes) {
      out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      buffer.clear();
    }
  }
  out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  out.flush();
  if (!out)
    return UnavailableError("writing the generated CSV failed (disk full or closed stream?)");
  return truth;
}

}  // namespace citadel::data
