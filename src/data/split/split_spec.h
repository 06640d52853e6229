// The `split:` mapping of a process step: which named splits the rows go to,
// in which proportions, and by which method.
//
//   split: { train: 0.8, test: 0.2, seed: 7 }                        random
//   split: { train: 0.8, test: 0.2, seed: 7, stratify: churned }     stratified by a column
//   split: { train: 0.8, test: 0.2, seed: 7, stratify: true }        stratified by the label
//   split: { train: 0.8, test: 0.2, seed: 7, group: customer_id }    no group in two splits
//   split: { train: 0.7, valid: 0.1, test: 0.2, time: signup_date }  earliest rows first
//   split: { train: 0.8, test: 0.2, time: { column: ts, order: [train, test] } }
//
// Every key other than seed, stratify, group and time is a split name with
// its fraction. A YAML mapping's order is not kept (Json objects iterate keys
// sorted, and a step's cache key digests key-sorted JSON), so splits are held
// sorted by name and a time split takes its order from `order:` or from the
// default (DefaultTimeOrder).
//
// Lives in citadel::data::split, beside the older numeric-frame split in
// citadel::data (data/internal/split.h), which it replaces.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/text/spec_reader.h"

namespace citadel::data::split {

enum class SplitMethod : uint8_t { kRandom, kStratified, kGroup, kTime };

// "random", "stratified", "group", "time".
std::string_view SplitMethodName(SplitMethod method);

struct SplitSpec {
  // Split names and fractions, sorted by name. AssignSplits returns one row
  // list per entry, in this order.
  std::vector<std::pair<std::string, double>> fractions;
  uint64_t seed = 0;  // random, stratified and group; a time split ignores it
  SplitMethod method = SplitMethod::kRandom;
  // kStratified: the column whose values are the strata ("" = the table's
  // label column); kGroup: the group key; kTime: the column rows are ordered by.
  std::string column;
  // kTime: every split name exactly once, earliest rows first. Empty means
  // DefaultTimeOrder(fractions); ParseSplitSpec always fills it.
  std::vector<std::string> time_order;
};

// Reads and validates the `split:` mapping. Errors are InvalidArgument from
// `split`, so they carry "file:line: pointer:": not a mapping, a bad split
// name (letters, digits, '_' and '-' only), a fraction outside (0, 1], no
// fractions, fractions not summing to 1 within 1e-6, more than one of
// stratify / group / time, an empty column name, an `order:` that does not
// list each split exactly once, unknown fields inside `time: { … }`.
Result<SplitSpec> ParseSplitSpec(const SpecReader& split);

// The checks of ParseSplitSpec on a spec built in code (AssignSplits runs
// it): at least one split, names valid and unique, each fraction in (0, 1],
// sum 1 within 1e-6, a column for group and time, a time_order that is empty
// or a permutation of the names. InvalidArgument saying what is wrong.
Status ValidateSplitSpec(const SplitSpec& spec);

// The order of a time split when the spec gives none: "train" first, then
// "validation", "valid" and "val", then other names sorted, "test" last.
// Chronology is what makes a time split honest, so the order must not hang on
// how the names happen to sort.
std::vector<std::string> DefaultTimeOrder(
    std::span<const std::pair<std::string, double>> fractions);

// The split that fitted transforms learn from: the one named exactly "train",
// or the only one. Errors (InvalidArgument, listing the names): several
// splits and none named "train" — a fallback would silently fit on, say,
// "test" next to "training" and leak held-out statistics into training.
Result<size_t> FitSplitIndex(const SplitSpec& spec);

}  // namespace citadel::data::split
