// Row assignment for random, stratified, group and time splits (see
// assign_splits.h for the algorithms and their guarantees).
#include "data/split/assign_splits.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <span>
#include <string_view>
#include <unordered_map>

#include "base/random.h"

namespace citadel::data::split {
namespace {

using RowLists = std::vector<std::vector<size_t>>;

constexpr size_t kRowsNamed = 3;  // rows quoted in an error message

// NaN after every number and equal to itself, -0.0 equal to 0.0: a strict
// weak order on all doubles, so sorting is total and deterministic.
bool FloatLess(double a, double b) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return a < b;
}

// Rows grouped by equal value: group g is rows[starts[g] .. starts[g + 1]).
struct ValueGroups {
  std::vector<size_t> rows;
  std::vector<size_t> starts;  // size() == groups + 1

  size_t size() const { return starts.size() - 1; }
  std::span<const size_t> Group(size_t g) const {
    return std::span<const size_t>(rows).subspan(starts[g], starts[g + 1] - starts[g]);
  }
};

// Sorts (value, row) pairs by value, then row, and cuts them into runs of
// equal values. Breaking ties by row keeps the result independent of the sort
// algorithm, and keeping the value beside its row spares each comparison a
// lookup in the column.
template <typename T, typename Less>
void AppendRuns(std::vector<std::pair<T, size_t>> keyed, Less less, ValueGroups& out) {
  std::sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    if (less(a.first, b.first)) return true;
    if (less(b.first, a.first)) return false;
    return a.second < b.second;
  });
  for (size_t i = 0; i < keyed.size(); ++i) {
    if (i == 0 || less(keyed[i - 1].first, keyed[i].first)) out.starts.push_back(out.rows.size());
    out.rows.push_back(keyed[i].second);
  }
}

template <typename T>
std::vector<std::pair<T, size_t>> Keyed(const Column& column, const std::vector<T>& values) {
  std::vector<std::pair<T, size_t>> keyed;
  keyed.reserve(column.size());
  for (size_t r = 0; r < column.size(); ++r) {
    if (column.is_valid(r)) keyed.emplace_back(values[r], r);
  }
  return keyed;
}

// Sorting (value, row) pairs costs O(n log n) comparisons; a column with few
// distinct values (a label, a category) is grouped by counting instead.
constexpr size_t kMaxCountedValues = 4096;

// The rows of `keyed` (in ascending row order) grouped by key, groups in
// ascending `less` order of their key and rows ascending in each: the result
// of AppendRuns, by counting. False, leaving `out` unchanged, when there are
// more than kMaxCountedValues distinct keys. Key equality must agree with
// `less`.
template <typename T, typename Hash, typename Equal, typename Less>
bool AppendCounted(const std::vector<std::pair<T, size_t>>& keyed, Less less, ValueGroups& out) {
  std::unordered_map<T, uint32_t, Hash, Equal> ids;
  std::vector<T> distinct;
  std::vector<uint32_t> id_of(keyed.size());
  for (size_t i = 0; i < keyed.size(); ++i) {
    auto [it, inserted] = ids.try_emplace(keyed[i].first, static_cast<uint32_t>(distinct.size()));
    if (inserted) {
      if (distinct.size() == kMaxCountedValues) return false;
      distinct.push_back(keyed[i].first);
    }
    id_of[i] = it->second;
  }
  std::vector<uint32_t> order(distinct.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return less(distinct[a], distinct[b]); });
  // start[id]: where the rows of value `id` begin; filled in row order, so
  // each group stays ascending.
  std::vector<size_t> count(distinct.size(), 0), start(distinct.size());
  for (uint32_t id : id_of) ++count[id];
  size_t at = out.rows.size();
  for (uint32_t id : order) {
    out.starts.push_back(at);
    start[id] = at;
    at += count[id];
  }
  out.rows.resize(at);
  for (size_t i = 0; i < keyed.size(); ++i) out.rows[start[id_of[i]]++] = keyed[i].second;
  return true;
}

// Hash of a double consistent with FloatLess equality: -0.0 and 0.0 alike,
// every NaN alike.
struct FloatKeyHash {
  size_t operator()(double x) const {
    if (std::isnan(x)) return 0x7ff8;
    return std::hash<double>{}(x == 0 ? 0.0 : x);
  }
};
// Equality under FloatLess, for the counting map.
struct FloatKeyEqual {
  bool operator()(double a, double b) const { return !FloatLess(a, b) && !FloatLess(b, a); }
};

template <typename T, typename Hash, typename Equal = std::equal_to<T>, typename Less>
void AppendGroups(std::vector<std::pair<T, size_t>> keyed, Less less, ValueGroups& out) {
  if (!AppendCounted<T, Hash, Equal>(keyed, less, out)) AppendRuns(std::move(keyed), less, out);
}

// Rows grouped by equal value of `column`, groups in ascending typed order,
// rows ascending in each, then the missing cells as one last group (if any).
ValueGroups RowsByValue(const Column& column) {
  ValueGroups out;
  out.rows.reserve(column.size());
  switch (column.type) {
    case ColumnType::kString: {
      std::vector<std::pair<std::string_view, size_t>> keyed;
      keyed.reserve(column.size());
      for (size_t r = 0; r < column.size(); ++r) {
        if (column.is_valid(r)) keyed.emplace_back(column.strings[r], r);
      }
      AppendGroups<std::string_view, std::hash<std::string_view>>(
          std::move(keyed), std::less<std::string_view>(), out);
      break;
    }
    case ColumnType::kFloat:
      AppendGroups<double, FloatKeyHash, FloatKeyEqual>(Keyed(column, column.floats), FloatLess,
                                                        out);
      break;
    default:
      AppendGroups<int64_t, std::hash<int64_t>>(Keyed(column, column.ints), std::less<int64_t>(),
                                                out);
  }
  if (out.rows.size() < column.size()) {
    out.starts.push_back(out.rows.size());
    for (size_t r = 0; r < column.size(); ++r) {
      if (!column.is_valid(r)) out.rows.push_back(r);
    }
  }
  out.starts.push_back(out.rows.size());
  return out;
}

// "t.csv:3, t.csv:5, t.csv:9, …" for the first rows of `rows`.
std::string RowPlaces(const Table& table, std::span<const size_t> rows) {
  std::string out;
  for (size_t i = 0; i < rows.size() && i < kRowsNamed; ++i) {
    out += fmt::format("{}{}", i == 0 ? "" : ", ", table.Where(rows[i]));
  }
  if (rows.size() > kRowsNamed) out += ", …";
  return out;
}

// Appends consecutive runs of `rows` to the splits, counts[i] rows to split
// targets[i].
void Distribute(std::span<const size_t> rows, std::span<const size_t> counts,
                std::span<const size_t> targets, RowLists& out) {
  size_t next = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    auto begin = rows.begin() + static_cast<ptrdiff_t>(next);
    out[targets[i]].insert(out[targets[i]].end(), begin, begin + static_cast<ptrdiff_t>(counts[i]));
    next += counts[i];
  }
}

// The same lists, each ascending. Every row is in exactly one list (true of
// every method), so marking each row's list and reading the marks in row
// order sorts them all in one O(rows) pass instead of a sort per list.
RowLists AscendingLists(RowLists lists, size_t num_rows) {
  constexpr uint32_t kUnmarked = UINT32_MAX;
  std::vector<uint32_t> list_of(num_rows, kUnmarked);
  bool partition = lists.size() < kUnmarked;
  size_t total = 0;
  for (size_t s = 0; s < lists.size() && partition; ++s) {
    for (size_t r : lists[s]) {
      if (r >= num_rows || list_of[r] != kUnmarked) {
        partition = false;
        break;
      }
      list_of[r] = static_cast<uint32_t>(s);
    }
    total += lists[s].size();
  }
  if (!partition || total != num_rows) {  // not a partition of the rows: sort each list
    for (std::vector<size_t>& rows : lists) std::sort(rows.begin(), rows.end());
    return lists;
  }
  std::vector<size_t*> next(lists.size());
  for (size_t s = 0; s < lists.size(); ++s) next[s] = lists[s].data();
  for (size_t r = 0; r < num_rows; ++r) *next[list_of[r]]++ = r;
  return lists;
}

std::vector<size_t> Identity(size_t n) {
  std::vector<size_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

RowLists RandomSplit(std::span<const double> fractions, uint64_t seed, size_t num_rows) {
  RowLists out(fractions.size());
  SeededRng rng(seed);
  std::vector<size_t> rows = Identity(num_rows);
  rng.Shuffle(rows);
  Distribute(rows, LargestRemainderCounts(rows.size(), fractions), Identity(fractions.size()), out);
  return out;
}

Result<RowLists> StratifiedSplit(const SplitSpec& spec, std::span<const double> fractions,
                                 const Table& table) {
  std::string_view name = spec.column.empty() ? std::string_view(table.label) : spec.column;
  if (name.empty()) {
    return InvalidArgumentError(
        "split: stratify: true stratifies by the label column, but the table has none; name the "
        "column to stratify by (stratify: churned)");
  }
  ASSIGN_OR_RETURN(const Column* column, table.Get(name, "split: stratify"));
  RowLists out(fractions.size());
  SeededRng rng(spec.seed);
  std::vector<size_t> targets = Identity(fractions.size());
  ValueGroups strata = RowsByValue(*column);
  for (size_t g = 0; g < strata.size(); ++g) {
    std::vector<size_t> rows(strata.Group(g).begin(), strata.Group(g).end());
    rng.Shuffle(rows);
    Distribute(rows, LargestRemainderCounts(rows.size(), fractions), targets, out);
  }
  return out;
}

Status RejectMissing(const Table& table, const Column& column, std::string_view method) {
  std::vector<size_t> missing;
  for (size_t r = 0; r < column.size(); ++r) {
    if (!column.is_valid(r)) missing.push_back(r);
  }
  if (missing.empty()) return Status::Ok();
  return InvalidArgumentError(fmt::format(
      "split: {} column '{}' is missing in {} of {} rows ({}); every row needs a value: drop "
      "those rows first (clean: drop_missing) or fill them",
      method, column.name, missing.size(), table.num_rows(), RowPlaces(table, missing)));
}

Result<RowLists> GroupSplit(const SplitSpec& spec, std::span<const double> fractions,
                            const Table& table) {
  ASSIGN_OR_RETURN(const Column* column, table.Get(spec.column, "split: group"));
  RETURN_IF_ERROR(RejectMissing(table, *column, "group"));
  ValueGroups groups = RowsByValue(*column);
  std::vector<size_t> order = Identity(groups.size());
  SeededRng rng(spec.seed);
  rng.Shuffle(order);

  double total = std::accumulate(fractions.begin(), fractions.end(), 0.0);
  std::vector<double> target(fractions.size());
  for (size_t s = 0; s < fractions.size(); ++s) {
    target[s] = static_cast<double>(table.num_rows()) * fractions[s] / total;
  }
  std::vector<size_t> assigned(fractions.size(), 0);
  RowLists out(fractions.size());
  for (size_t g : order) {
    size_t best = 0;
    for (size_t s = 1; s < fractions.size(); ++s) {
      double deficit = target[s] - static_cast<double>(assigned[s]);
      if (deficit > target[best] - static_cast<double>(assigned[best])) best = s;
    }
    std::span<const size_t> rows = groups.Group(g);
    out[best].insert(out[best].end(), rows.begin(), rows.end());
    assigned[best] += rows.size();
  }
  return out;
}

Result<RowLists> TimeSplit(const SplitSpec& spec, std::span<const double> fractions,
                           const Table& table) {
  ASSIGN_OR_RETURN(const Column* column, table.Get(spec.column, "split: time"));
  if (column->type != ColumnType::kTimestamp && column->type != ColumnType::kInt &&
      column->type != ColumnType::kFloat) {
    return InvalidArgumentError(fmt::format(
        "split: time column '{}' is {}; it must be timestamp, int or float (cast it first)",
        column->name, ColumnTypeName(column->type)));
  }
  RETURN_IF_ERROR(RejectMissing(table, *column, "time"));
  std::vector<size_t> rows = Identity(table.num_rows());
  if (column->type == ColumnType::kFloat) {
    std::vector<size_t> nan;
    for (size_t r : rows) {
      if (std::isnan(column->floats[r])) nan.push_back(r);
    }
    if (!nan.empty()) {
      return InvalidArgumentError(fmt::format(
          "split: time column '{}' is NaN in {} of {} rows ({}); NaN has no place in time: drop "
          "or fix those rows first",
          column->name, nan.size(), table.num_rows(), RowPlaces(table, nan)));
    }
    std::stable_sort(rows.begin(), rows.end(),
                     [&](size_t a, size_t b) { return column->floats[a] < column->floats[b]; });
  } else {
    std::stable_sort(rows.begin(), rows.end(),
                     [&](size_t a, size_t b) { return column->ints[a] < column->ints[b]; });
  }

  std::vector<std::string> order =
      spec.time_order.empty() ? DefaultTimeOrder(spec.fractions) : spec.time_order;
  std::vector<size_t> targets;
  std::vector<double> ordered_fractions;
  for (const std::string& name : order) {
    for (size_t s = 0; s < spec.fractions.size(); ++s) {
      if (spec.fractions[s].first != name) continue;
      targets.push_back(s);
      ordered_fractions.push_back(fractions[s]);
    }
  }
  RowLists out(fractions.size());
  Distribute(rows, LargestRemainderCounts(rows.size(), ordered_fractions), targets, out);
  return out;
}

}  // namespace

std::vector<size_t> LargestRemainderCounts(size_t n, std::span<const double> fractions) {
  size_t k = fractions.size();
  std::vector<size_t> counts(k, 0);
  if (k == 0) return counts;
  double total = std::accumulate(fractions.begin(), fractions.end(), 0.0);
  std::vector<double> remainder(k);
  size_t assigned = 0;
  for (size_t i = 0; i < k; ++i) {
    double quota = static_cast<double>(n) * fractions[i] / total;
    double whole = std::floor(quota);
    counts[i] = std::min(static_cast<size_t>(whole), n - assigned);
    remainder[i] = quota - whole;
    assigned += counts[i];
  }
  std::vector<size_t> order = Identity(k);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return remainder[a] > remainder[b]; });
  for (size_t i = 0; assigned < n; i = (i + 1) % k, ++assigned) ++counts[order[i]];
  return counts;
}

Result<std::vector<std::vector<size_t>>> AssignSplits(const SplitSpec& spec, const Table& table) {
  RETURN_IF_ERROR(ValidateSplitSpec(spec));
  std::vector<double> fractions;
  for (const auto& entry : spec.fractions) fractions.push_back(entry.second);

  RowLists out;
  switch (spec.method) {
    case SplitMethod::kRandom:
      out = RandomSplit(fractions, spec.seed, table.num_rows());
      break;
    case SplitMethod::kStratified: {
      ASSIGN_OR_RETURN(out, StratifiedSplit(spec, fractions, table));
      break;
    }
    case SplitMethod::kGroup: {
      ASSIGN_OR_RETURN(out, GroupSplit(spec, fractions, table));
      break;
    }
    case SplitMethod::kTime: {
      ASSIGN_OR_RETURN(out, TimeSplit(spec, fractions, table));
      break;
    }
  }

  // An empty split would train or evaluate on nothing further down the pipeline.
  for (size_t s = 0; s < out.size(); ++s) {
    if (!out[s].empty()) continue;
    std::string why;
    if (spec.method == SplitMethod::kGroup) {
      why = fmt::format(" (a group split moves whole groups of '{}')", spec.column);
    }
    return InvalidArgumentError(fmt::format(
        "{}: split '{}' (fraction {}) would get 0 of {} rows{}; use more data or a larger fraction",
        table.source.empty() ? "split" : table.source, spec.fractions[s].first,
        spec.fractions[s].second, table.num_rows(), why));
  }
  return AscendingLists(std::move(out), table.num_rows());
}

}  // namespace citadel::data::split
