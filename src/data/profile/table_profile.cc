// ProfileTable: per-column statistics computed from one sorted copy of each
// column's present values (see table_profile.h for the output).
#include "data/profile/table_profile.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "data/pii/pii_detector.h"

namespace citadel::data {
namespace {

// NaN after every number and equal to itself: a strict weak order on all
// doubles (callers map -0.0 to 0.0 first).
bool FloatLess(double a, double b) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return a < b;
}

std::string FloatText(double x) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, end);
}

// At most `max_bytes` of `text`, cut before a UTF-8 continuation byte.
std::string Shorten(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "…";
}

// "distinct" and "top" from `sorted` values, where equal values are adjacent
// and `less` orders them. `text` renders one value.
template <typename T, typename Less, typename Text>
void AddDistinctAndTop(const std::vector<T>& sorted, Less less, Text text,
                       const ProfileOptions& options, Json& out) {
  struct Run {
    size_t count;
    size_t first;  // index into sorted
  };
  std::vector<Run> runs;
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i == 0 || less(sorted[i - 1], sorted[i])) {
      runs.push_back({0, i});
    }
    ++runs.back().count;
  }
  out["distinct"] = runs.size();
  // Runs are in ascending value order, so `first` breaks count ties by value.
  size_t k = std::min(options.top_values, runs.size());
  std::partial_sort(runs.begin(), runs.begin() + static_cast<ptrdiff_t>(k), runs.end(),
                    [](const Run& a, const Run& b) {
                      return a.count != b.count ? a.count > b.count : a.first < b.first;
                    });
  Json top = Json::array();
  for (size_t i = 0; i < k; ++i) {
    top.push_back(Json{{"value", Shorten(text(sorted[runs[i].first]), options.max_value_bytes)},
                       {"count", runs[i].count}});
  }
  out["top"] = std::move(top);
}

// Linear interpolation between closest ranks (numpy's default). `sorted` is
// non-empty.
double Quantile(std::span<const double> sorted, double p) {
  double h = static_cast<double>(sorted.size() - 1) * p;
  size_t lo = static_cast<size_t>(std::floor(h));
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  return std::lerp(sorted[lo], sorted[hi], h - static_cast<double>(lo));
}

// A finite double as Json, null otherwise (JSON has no NaN or inf).
Json Finite(double x) { return std::isfinite(x) ? Json(x) : Json(nullptr); }

// min, max, mean, std, quantiles and histogram of sorted finite values.
// `exact` renders min and max (ints stay exact integers).
template <typename Exact>
void AddNumericStats(std::span<const double> sorted, Exact exact, const ProfileOptions& options,
                     Json& out) {
  Json quantiles = {{"p25", nullptr}, {"p50", nullptr}, {"p75", nullptr}};
  Json histogram = {{"edges", Json::array()}, {"counts", Json::array()}};
  out["min"] = out["max"] = out["mean"] = out["std"] = nullptr;
  if (!sorted.empty()) {
    out["min"] = exact(0);
    out["max"] = exact(sorted.size() - 1);
    double mean = 0, m2 = 0;
    // Welford: stable where a sum of squares would cancel.
    for (size_t i = 0; i < sorted.size(); ++i) {
      double delta = sorted[i] - mean;
      mean += delta / static_cast<double>(i + 1);
      m2 += delta * (sorted[i] - mean);
    }
    out["mean"] = Finite(mean);
    out["std"] = Finite(std::sqrt(m2 / static_cast<double>(sorted.size())));
    quantiles = {{"p25", Quantile(sorted, 0.25)},
                 {"p50", Quantile(sorted, 0.5)},
                 {"p75", Quantile(sorted, 0.75)}};

    double lo = sorted.front(), hi = sorted.back();
    size_t bins = lo == hi ? 1 : std::max<size_t>(options.histogram_bins, 1);
    // std::lerp cannot overflow, even over [-DBL_MAX, DBL_MAX], and is exact at both ends.
    std::vector<double> edges(bins + 1);
    for (size_t i = 0; i <= bins; ++i) {
      edges[i] = std::lerp(lo, hi, static_cast<double>(i) / static_cast<double>(bins));
    }
    std::vector<size_t> counts(bins, 0);
    size_t b = 0;
    for (double x : sorted) {
      while (b + 1 < bins && x >= edges[b + 1]) ++b;
      ++counts[b];
    }
    histogram = {{"edges", edges}, {"counts", counts}};
  }
  out["quantiles"] = std::move(quantiles);
  out["histogram"] = std::move(histogram);
}

void ProfileInts(const Column& column, const ProfileOptions& options, Json& out) {
  std::vector<int64_t> sorted;
  sorted.reserve(column.size());
  for (size_t r = 0; r < column.size(); ++r) {
    if (column.is_valid(r)) sorted.push_back(column.ints[r]);
  }
  std::sort(sorted.begin(), sorted.end());
  auto less = [](int64_t a, int64_t b) { return a < b; };
  switch (column.type) {
    case ColumnType::kBool: {
      AddDistinctAndTop(
          sorted, less, [](int64_t v) -> std::string { return v ? "true" : "false"; }, options,
          out);
      size_t trues = static_cast<size_t>(
          std::count_if(sorted.begin(), sorted.end(), [](int64_t v) { return v != 0; }));
      out["mean"] = sorted.empty()
                        ? Json(nullptr)
                        : Json(static_cast<double>(trues) / static_cast<double>(sorted.size()));
      return;
    }
    case ColumnType::kTimestamp: {
      AddDistinctAndTop(sorted, less, FormatTimestamp, options, out);
      Json quantiles = {{"p25", nullptr}, {"p50", nullptr}, {"p75", nullptr}};
      out["min"] = out["max"] = nullptr;
      if (!sorted.empty()) {
        out["min"] = FormatTimestamp(sorted.front());
        out["max"] = FormatTimestamp(sorted.back());
        // Interpolated in double (exact to the microsecond within ±285 years
        // of 1970), then clamped between the two neighbours it lies between.
        auto at = [&](double p) {
          double h = static_cast<double>(sorted.size() - 1) * p;
          size_t lo = static_cast<size_t>(std::floor(h));
          size_t hi = std::min(lo + 1, sorted.size() - 1);
          double x = std::lerp(static_cast<double>(sorted[lo]), static_cast<double>(sorted[hi]),
                               h - static_cast<double>(lo));
          int64_t micros = sorted[lo];
          // Compared in double first: llround is undefined past the int64 range.
          if (x >= static_cast<double>(sorted[hi])) {
            micros = sorted[hi];
          } else if (x > static_cast<double>(sorted[lo])) {
            micros = static_cast<int64_t>(std::llround(x));
          }
          return FormatTimestamp(micros);
        };
        quantiles = {{"p25", at(0.25)}, {"p50", at(0.5)}, {"p75", at(0.75)}};
      }
      out["quantiles"] = std::move(quantiles);
      return;
    }
    default: {
      AddDistinctAndTop(
          sorted, less, [](int64_t v) { return std::to_string(v); }, options, out);
      std::vector<double> values(sorted.begin(), sorted.end());
      AddNumericStats(
          values, [&](size_t i) { return Json(sorted[i]); }, options, out);
    }
  }
}

void ProfileFloats(const Column& column, const ProfileOptions& options, Json& out) {
  std::vector<double> sorted;
  sorted.reserve(column.size());
  for (size_t r = 0; r < column.size(); ++r) {
    if (!column.is_valid(r)) continue;
    double x = column.floats[r];
    // One spelling per value: "0" for -0.0, "nan" whatever the NaN's sign and payload.
    if (x == 0.0) x = 0.0;
    if (std::isnan(x)) x = std::numeric_limits<double>::quiet_NaN();
    sorted.push_back(x);
  }
  std::sort(sorted.begin(), sorted.end(), FloatLess);
  AddDistinctAndTop(sorted, FloatLess, FloatText, options, out);
  // Sorted: -inf first, then finite values, then +inf, then NaN.
  auto finite_begin = std::find_if(sorted.begin(), sorted.end(), [](double x) {
    return x != -std::numeric_limits<double>::infinity();
  });
  auto finite_end =
      std::find_if(finite_begin, sorted.end(), [](double x) { return !std::isfinite(x); });
  size_t nan = static_cast<size_t>(
      std::count_if(finite_end, sorted.end(), [](double x) { return std::isnan(x); }));
  out["nan"] = nan;
  out["inf"] = sorted.size() - nan - static_cast<size_t>(finite_end - finite_begin);
  std::span<const double> finite(finite_begin, finite_end);
  AddNumericStats(
      finite, [&](size_t i) { return Json(finite[i]); }, options, out);
}

void ProfileStrings(const Column& column, const ProfileOptions& options, Json& out) {
  std::vector<std::string_view> sorted;
  sorted.reserve(column.size());
  size_t total_length = 0, max_length = 0;
  for (size_t r = 0; r < column.size(); ++r) {
    if (!column.is_valid(r)) continue;
    sorted.push_back(column.strings[r]);
    total_length += column.strings[r].size();
    max_length = std::max(max_length, column.strings[r].size());
  }
  if (options.scan_pii) {
    // Scanned in row order, before sorting, though the counts do not depend on it.
    PiiColumnReport report = ScanColumn(column.name, sorted);
    out["pii"] = Json::object();
    for (const auto& [kind, cells] : report.counts) out["pii"][kind] = cells;
  }
  std::sort(sorted.begin(), sorted.end());
  AddDistinctAndTop(
      sorted, std::less<std::string_view>(), [](std::string_view v) { return std::string(v); },
      options, out);
  out["mean_length"] =
      sorted.empty() ? Json(nullptr)
                     : Json(static_cast<double>(total_length) / static_cast<double>(sorted.size()));
  out["max_length"] = sorted.empty() ? Json(nullptr) : Json(max_length);
}

}  // namespace

Json ProfileTable(const Table& table, const ProfileOptions& options) {
  Json columns = Json::array();
  for (const Column& column : table.columns) {
    size_t missing = column.CountMissing();
    Json out = {{"name", column.name},
                {"type", ColumnTypeName(column.type)},
                {"count", column.size() - missing},
                {"missing", missing}};
    switch (column.type) {
      case ColumnType::kFloat:
        ProfileFloats(column, options, out);
        break;
      case ColumnType::kString:
        ProfileStrings(column, options, out);
        break;
      default:
        ProfileInts(column, options, out);
    }
    columns.push_back(std::move(out));
  }
  return Json{
      {"source", table.source}, {"rows", table.num_rows()}, {"columns", std::move(columns)}};
}

}  // namespace citadel::data
