#include "data/internal/split.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "base/random.h"

namespace citadel::data {
namespace {

// Appends consecutive runs of `rows` to the splits, counts[i] rows to split i.
void Distribute(const std::vector<size_t>& rows, const std::vector<size_t>& counts,
                std::vector<std::vector<size_t>>& out) {
  size_t next = 0;
  for (size_t s = 0; s < counts.size(); ++s) {
    out[s].insert(out[s].end(), rows.begin() + static_cast<ptrdiff_t>(next),
                  rows.begin() + static_cast<ptrdiff_t>(next + counts[s]));
    next += counts[s];
  }
}

}  // namespace

Status ValidateSplitSpec(const SplitSpec& spec) {
  double sum = 0;
  std::set<std::string> names;
  for (const auto& [name, fraction] : spec.fractions) {
    if (name.empty()) return InvalidArgumentError("split: a split name is empty");
    if (!names.insert(name).second) {
      return InvalidArgumentError(fmt::format("split: '{}' is named twice", name));
    }
    if (!(fraction > 0.0 && fraction <= 1.0)) {
      return InvalidArgumentError(
          fmt::format("split: fraction of '{}' is {}; each must be in (0, 1]", name, fraction));
    }
    sum += fraction;
  }
  if (!spec.fractions.empty() && std::fabs(sum - 1.0) > 1e-6) {
    return InvalidArgumentError(
        fmt::format("split: the fractions sum to {:.6g}; they must sum to 1", sum));
  }
  return Status::Ok();
}

Result<size_t> FitSplitIndex(const SplitSpec& spec) {
  std::string names;
  for (size_t i = 0; i < spec.fractions.size(); ++i) {
    if (spec.fractions[i].first == "train") return i;
    names += fmt::format("{}'{}'", i == 0 ? "" : ", ", spec.fractions[i].first);
  }
  if (spec.fractions.size() <= 1) return size_t{0};
  return InvalidArgumentError(fmt::format(
      "fitted transforms (standardize) learn on the `train` split, but the splits are named {}; "
      "name the training split `train`",
      names));
}

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
  std::vector<size_t> order(k);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return remainder[a] > remainder[b]; });
  for (size_t i = 0; assigned < n; i = (i + 1) % k, ++assigned) ++counts[order[i]];
  return counts;
}

std::vector<std::vector<size_t>> AssignSplits(const SplitSpec& spec,
                                              std::span<const int64_t> labels, size_t num_classes) {
  std::vector<double> fractions;
  for (const auto& entry : spec.fractions) fractions.push_back(entry.second);
  std::vector<std::vector<size_t>> out(fractions.size());
  SeededRng rng(spec.seed);

  if (spec.stratify) {
    std::vector<std::vector<size_t>> by_class(num_classes);
    for (size_t r = 0; r < labels.size(); ++r) {
      by_class[static_cast<size_t>(labels[r])].push_back(r);
    }
    for (std::vector<size_t>& rows : by_class) {
      rng.Shuffle(rows);
      Distribute(rows, LargestRemainderCounts(rows.size(), fractions), out);
    }
  } else {
    std::vector<size_t> rows(labels.size());
    std::iota(rows.begin(), rows.end(), 0);
    rng.Shuffle(rows);
    Distribute(rows, LargestRemainderCounts(rows.size(), fractions), out);
  }
  for (std::vector<size_t>& rows : out) std::sort(rows.begin(), rows.end());
  return out;
}

}  // namespace citadel::data
