// PII findings counted over a whole column (pii_detector.h finds them in
// one cell): what the `pii:` policy and the profile report per column.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "data/pii/pii_detector.h"

namespace citadel::data {

// Per-column summary: `cells` is the number of cells scanned and `counts`
// maps PiiKindName() to the number of cells holding at least one occurrence
// of that kind. Kinds never seen are absent from `counts`.
struct PiiColumnReport {
  std::string column;
  int64_t cells = 0;
  std::map<std::string, int64_t> counts;
};

PiiColumnReport ScanColumn(std::string_view column, std::span<const std::string_view> cells);
// The same for an int column's values, scanned as their decimal text (an
// ID number or a phone number stored as a number) without materialising
// every cell's text.
PiiColumnReport ScanIntegers(std::string_view column, std::span<const int64_t> values);

}  // namespace citadel::data
