// ProfileTable: per-column statistics computed from one sorted copy (value_sort.h)
// of each column's present values (strings: their distinct values), columns in parallel (see
// table_profile.h for the output).
#include "data/profile/table_profile.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/system/thread_pool.h"
#include "data/pii/column_scan.h"
#include "data/table/value_sort.h"

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

// The `k` most frequent of the distinct values offered in ascending order,
// with their counts, most frequent first; ties in count go to the smaller
// value (the one offered earlier). Holds k entries, not one per value: an id
// column has a million distinct values.
template <typename T>
class TopValues {
 public:
  explicit TopValues(size_t k) : k_(k) {}

  void Offer(const T& value, size_t times) {
    ++distinct_;
    if (k_ == 0 || (top_.size() == k_ && times <= top_.back().second)) return;
    auto at = std::find_if(top_.begin(), top_.end(),
                           [&](const std::pair<T, size_t>& e) { return times > e.second; });
    top_.insert(at, {value, times});
    if (top_.size() > k_) top_.pop_back();
  }

  // "distinct" and "top" into `out`; `text` renders one value.
  template <typename Text>
  void AddTo(Text text, const ProfileOptions& options, Json& out) const {
    out["distinct"] = distinct_;
    Json top = Json::array();
    for (const auto& [value, times] : top_) {
      top.push_back(
          Json{{"value", Shorten(text(value), options.max_value_bytes)}, {"count", times}});
    }
    out["top"] = std::move(top);
  }

 private:
  size_t k_;
  size_t distinct_ = 0;
  std::vector<std::pair<T, size_t>> top_;
};

// "distinct" and "top" from the distinct values in ascending order and how
// often each occurs.
template <typename T, typename Text>
void AddDistinctAndTopOfRuns(const std::vector<T>& distinct, const std::vector<size_t>& times,
                             Text text, const ProfileOptions& options, Json& out) {
  TopValues<T> top(options.top_values);
  for (size_t i = 0; i < distinct.size(); ++i) top.Offer(distinct[i], times[i]);
  top.AddTo(text, options, out);
}

// The same from `sorted` values, where equal values are adjacent and `less`
// orders them.
template <typename T, typename Less, typename Text>
void AddDistinctAndTop(const std::vector<T>& sorted, Less less, Text text,
                       const ProfileOptions& options, Json& out) {
  TopValues<T> top(options.top_values);
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i + 1;
    while (j < sorted.size() && !less(sorted[i], sorted[j])) ++j;
    top.Offer(sorted[i], j - i);
    i = j;
  }
  top.AddTo(text, options, out);
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
  SortInts(sorted);
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
  size_t nans = 0;
  for (size_t r = 0; r < column.size(); ++r) {
    if (!column.is_valid(r)) continue;
    double x = column.floats[r];
    // One spelling per value: "0" for -0.0, "nan" whatever the NaN's sign
    // and payload (NaNs are counted here and appended after the sort).
    if (x == 0.0) x = 0.0;
    if (std::isnan(x)) {
      ++nans;
      continue;
    }
    sorted.push_back(x);
  }
  SortValues(sorted);
  sorted.insert(sorted.end(), nans, std::numeric_limits<double>::quiet_NaN());
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
  std::vector<std::string_view> present;
  present.reserve(column.size());
  size_t total_length = 0, max_length = 0;
  for (size_t r = 0; r < column.size(); ++r) {
    if (!column.is_valid(r)) continue;
    present.push_back(column.strings[r]);
    total_length += column.strings[r].size();
    max_length = std::max(max_length, column.strings[r].size());
  }
  if (options.scan_pii) {
    PiiColumnReport report = ScanColumn(column.name, present);
    out["pii"] = Json::object();
    for (const auto& [kind, cells] : report.counts) out["pii"][kind] = cells;
  }
  // Categorical columns: counted by hashing, then only the distinct values
  // sorted (comparing strings is the slow part). Columns with many distinct
  // values (ids, free text) are sorted whole instead, which then costs less
  // than a node per value.
  constexpr size_t kMaxHashed = 1 << 16;
  std::unordered_map<std::string_view, size_t> counts;
  for (std::string_view v : present) {
    ++counts[v];
    if (counts.size() > kMaxHashed) break;
  }
  if (counts.size() > kMaxHashed) {
    std::sort(present.begin(), present.end());
    AddDistinctAndTop(
        present, std::less<std::string_view>(), [](std::string_view v) { return std::string(v); },
        options, out);
  } else {
    std::vector<std::string_view> distinct;
    distinct.reserve(counts.size());
    for (const auto& [value, count] : counts) distinct.push_back(value);
    std::sort(distinct.begin(), distinct.end());
    std::vector<size_t> times(distinct.size());
    for (size_t i = 0; i < distinct.size(); ++i) times[i] = counts[distinct[i]];
    AddDistinctAndTopOfRuns(
        distinct, times, [](std::string_view v) { return std::string(v); }, options, out);
  }
  out["mean_length"] =
      present.empty()
          ? Json(nullptr)
          : Json(static_cast<double>(total_length) / static_cast<double>(present.size()));
  out["max_length"] = present.empty() ? Json(nullptr) : Json(max_length);
}

}  // namespace

Json ProfileTable(const Table& table, const ProfileOptions& options) {
  std::vector<Json> profiles(table.columns.size());
  // Columns are independent: one per core.
  SharedPool().ParallelFor(table.columns.size(), [&](size_t i) {
    const Column& column = table.columns[i];
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
    profiles[i] = std::move(out);
  });
  Json columns = Json::array();
  for (Json& p : profiles) columns.push_back(std::move(p));
  return Json{
      {"source", table.source}, {"rows", table.num_rows()}, {"columns", std::move(columns)}};
}

}  // namespace citadel::data
