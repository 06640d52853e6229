// Parsing and validation of the `split:` mapping (see split_spec.h).
#include "data/split/split_spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <set>

namespace citadel::data::split {
namespace {

constexpr std::array<std::string_view, 4> kReservedKeys = {"seed", "stratify", "group", "time"};
constexpr double kSumTolerance = 1e-6;

bool IsSplitName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

bool IsReserved(std::string_view key) {
  return std::find(kReservedKeys.begin(), kReservedKeys.end(), key) != kReservedKeys.end();
}

// "'test', 'train'".
std::string QuotedNames(std::span<const std::pair<std::string, double>> fractions) {
  std::string out;
  for (const auto& [name, unused] : fractions) {
    out += fmt::format("{}'{}'", out.empty() ? "" : ", ", name);
  }
  return out;
}

// Rank in the default chronological order; names of equal rank sort by name.
int TimeRank(std::string_view name) {
  if (name == "train") return 0;
  if (name == "validation") return 1;
  if (name == "valid") return 2;
  if (name == "val") return 3;
  if (name == "test") return 5;
  return 4;
}

// A non-empty column name in `reader`'s field `key`.
Result<std::string> ColumnName(const SpecReader& reader, std::string_view key) {
  ASSIGN_OR_RETURN(std::string name, reader.String(key));
  if (name.empty()) return reader.FieldError(key, "the column name is empty");
  return name;
}

Status ParseStratify(const SpecReader& split, SplitSpec& out) {
  const Json& value = split.json()["stratify"];
  if (value.is_boolean()) {
    // true: by the label column, resolved against the table when splitting.
    if (value.get<bool>()) out.method = SplitMethod::kStratified;
    return Status::Ok();
  }
  if (!value.is_string()) {
    return split.FieldError(
        "stratify", fmt::format("expected true, false or a column name, got {}", value.dump()));
  }
  ASSIGN_OR_RETURN(out.column, ColumnName(split, "stratify"));
  out.method = SplitMethod::kStratified;
  return Status::Ok();
}

Status ParseTimeOrder(const SpecReader& time, SplitSpec& out) {
  SpecReader order = time.Child("order");
  if (!order.json().is_array()) {
    return order.Error("expected a list of the split names, earliest rows first");
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < order.Size(); ++i) {
    SpecReader item = order.Element(i);
    if (!item.json().is_string()) {
      return item.Error(fmt::format("expected a split name, got {}", item.json().dump()));
    }
    std::string name = item.json().get<std::string>();
    bool known = std::any_of(out.fractions.begin(), out.fractions.end(),
                             [&](const auto& entry) { return entry.first == name; });
    if (!known) {
      return item.Error(
          fmt::format("'{}' is not a split; the splits are {}", name, QuotedNames(out.fractions)));
    }
    if (!seen.insert(name).second) return item.Error(fmt::format("'{}' is listed twice", name));
    out.time_order.push_back(std::move(name));
  }
  for (const auto& [name, unused] : out.fractions) {
    if (!seen.contains(name)) {
      return order.Error(fmt::format("split '{}' is missing; list each split exactly once", name));
    }
  }
  return Status::Ok();
}

Status ParseTime(const SpecReader& split, SplitSpec& out) {
  out.method = SplitMethod::kTime;
  SpecReader time = split.Child("time");
  if (time.json().is_string()) {
    ASSIGN_OR_RETURN(out.column, ColumnName(split, "time"));
  } else if (time.json().is_object()) {
    RETURN_IF_ERROR(time.ExpectObject({"column", "order"}));
    ASSIGN_OR_RETURN(out.column, ColumnName(time, "column"));
    if (time.Has("order")) RETURN_IF_ERROR(ParseTimeOrder(time, out));
  } else {
    return time.Error(
        fmt::format("expected a column name or {{ column: ts, order: [train, test] }}, got {}",
                    time.json().dump()));
  }
  if (out.time_order.empty()) out.time_order = DefaultTimeOrder(out.fractions);
  return Status::Ok();
}

}  // namespace

std::string_view SplitMethodName(SplitMethod method) {
  switch (method) {
    case SplitMethod::kRandom:
      return "random";
    case SplitMethod::kStratified:
      return "stratified";
    case SplitMethod::kGroup:
      return "group";
    case SplitMethod::kTime:
      return "time";
  }
  return "?";
}

Result<SplitSpec> ParseSplitSpec(const SpecReader& split) {
  if (!split.json().is_object()) {
    return split.Error("expected a mapping such as { train: 0.8, test: 0.2, seed: 7 }");
  }
  SplitSpec out;
  ASSIGN_OR_RETURN(int64_t seed, split.Int("seed", 0, std::numeric_limits<int64_t>::max(), 0));
  out.seed = static_cast<uint64_t>(seed);

  double sum = 0;
  // Json objects iterate in key order, so splits come out sorted by name.
  for (const auto& [name, unused] : split.json().items()) {
    if (IsReserved(name)) continue;
    if (!IsSplitName(name)) {
      return split.FieldError(
          name, fmt::format("'{}' is not a valid split name: use only letters, digits, '_' and '-'",
                            name));
    }
    ASSIGN_OR_RETURN(double fraction, split.Number(name, 0.0, 1.0));
    if (fraction <= 0.0) {
      return split.FieldError(name,
                              "a split fraction must be greater than 0; remove the split "
                              "instead");
    }
    out.fractions.emplace_back(name, fraction);
    sum += fraction;
  }
  if (out.fractions.empty()) {
    return split.Error("no split fractions given (for example train: 0.8, test: 0.2)");
  }
  if (std::fabs(sum - 1.0) > kSumTolerance) {
    return split.Error(fmt::format("the split fractions sum to {:.6g}; they must sum to 1", sum));
  }

  // A second method key is reported at its own line.
  std::string_view method_key;
  for (std::string_view key : {"stratify", "group", "time"}) {
    if (!split.Has(key)) continue;
    if (!method_key.empty()) {
      return split.FieldError(
          key, fmt::format("'{}' and '{}' cannot be combined; a split is random, stratified, "
                           "grouped or time-ordered — pick one",
                           method_key, key));
    }
    method_key = key;
  }
  if (method_key == "stratify") {
    RETURN_IF_ERROR(ParseStratify(split, out));
  } else if (method_key == "group") {
    out.method = SplitMethod::kGroup;
    ASSIGN_OR_RETURN(out.column, ColumnName(split, "group"));
  } else if (method_key == "time") {
    RETURN_IF_ERROR(ParseTime(split, out));
  }
  return out;
}

Status ValidateSplitSpec(const SplitSpec& spec) {
  if (spec.fractions.empty()) return InvalidArgumentError("split: no splits given");
  double sum = 0;
  std::set<std::string> names;
  for (const auto& [name, fraction] : spec.fractions) {
    if (!IsSplitName(name)) {
      return InvalidArgumentError(fmt::format(
          "split: '{}' is not a valid split name: use only letters, digits, '_' and '-'", name));
    }
    if (!names.insert(name).second) {
      return InvalidArgumentError(fmt::format("split: '{}' is named twice", name));
    }
    if (!(fraction > 0.0 && fraction <= 1.0)) {
      return InvalidArgumentError(
          fmt::format("split: fraction of '{}' is {}; each must be in (0, 1]", name, fraction));
    }
    sum += fraction;
  }
  if (std::fabs(sum - 1.0) > kSumTolerance) {
    return InvalidArgumentError(
        fmt::format("split: the fractions sum to {:.6g}; they must sum to 1", sum));
  }
  if ((spec.method == SplitMethod::kGroup || spec.method == SplitMethod::kTime) &&
      spec.column.empty()) {
    return InvalidArgumentError(
        fmt::format("split: a {} split needs a column", SplitMethodName(spec.method)));
  }
  if (spec.method == SplitMethod::kTime && !spec.time_order.empty()) {
    std::set<std::string> ordered(spec.time_order.begin(), spec.time_order.end());
    if (ordered != names || spec.time_order.size() != names.size()) {
      return InvalidArgumentError(fmt::format(
          "split: the time order must list each of {} exactly once", QuotedNames(spec.fractions)));
    }
  }
  return Status::Ok();
}

std::vector<std::string> DefaultTimeOrder(
    std::span<const std::pair<std::string, double>> fractions) {
  std::vector<std::string> order;
  for (const auto& [name, unused] : fractions) order.push_back(name);
  std::sort(order.begin(), order.end(), [](const std::string& a, const std::string& b) {
    int ra = TimeRank(a), rb = TimeRank(b);
    return ra != rb ? ra < rb : a < b;
  });
  return order;
}

Result<size_t> FitSplitIndex(const SplitSpec& spec) {
  for (size_t i = 0; i < spec.fractions.size(); ++i) {
    if (spec.fractions[i].first == "train") return i;
  }
  if (spec.fractions.size() <= 1) return size_t{0};
  return InvalidArgumentError(
      fmt::format("fitted transforms learn on the `train` split, but the splits are named {}; "
                  "name the training split `train`",
                  QuotedNames(spec.fractions)));
}

}  // namespace citadel::data::split
