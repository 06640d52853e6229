// A seeded generator of large, messy synthetic tables for tests and
// benchmarks: missing cells, exact duplicate rows, outliers, quoted free text
// with embedded line breaks, and (optionally) planted PII whose every
// occurrence is reported as ground truth, so PII detection can be scored.
//
// Fixed schema, in this column order:
//   customer_id  int, 9 digits, unique except in planted duplicate rows
//   age          int 18-90; outliers 999, 150, 0 or -1
//   income       float, 2 decimals, log-normal around 50k; outliers x1000 (>= 4e6)
//   country      one of 12 ISO 3166 codes, or "XX" (unknown) in ~2% of rows
//   segment      "a", "b", "c" or "d"
//   signup_date  YYYY-MM-DD between 2015-01-01 and 2024-12-31
//   score        float in [0, 1], 4 decimals
//   churned      label "0"/"1", more often 1 as score grows
// and, when with_pii:
//   email, phone, card_number, iban, ssn, ip_address   one PII value each
//   notes        free text; ~25% of cells embed one PII value of any kind
//
// Missing values are empty cells (never in customer_id or churned); each other
// cell is missing with probability missing_rate (outlier cells never are).
// Each row after the first is, with probability duplicate_rate, an exact copy
// of an earlier row; otherwise it is an original row that holds an outlier
// (in age or income) with probability outlier_rate. Non-PII columns never
// look like PII to data::FindPii.
//
// Uses only SeededRng (never std distributions), so equal options give
// byte-identical output with a given standard library and libm.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "base/status.h"

namespace citadel::data {

struct GeneratorOptions {
  int64_t rows = 1000;  // data rows, 1..kMaxGeneratedRows
  uint64_t seed = 0;
  double missing_rate = 0.05;    // in [0, 1]
  double duplicate_rate = 0.02;  // in [0, 1]
  double outlier_rate = 0.01;    // in [0, 1]
  bool with_pii = true;
};

// customer_id stays unique (and 9 digits) up to this many rows.
inline constexpr int64_t kMaxGeneratedRows = 100'000'000;

// One planted PII value: `value` occurs verbatim in the cell at data row `row`
// (0-based, header excluded, as CsvTable::cell counts) of `column`. `kind` is
// a PiiKindName(): "email", "phone", "payment_card", "iban", "national_id",
// "ip_address".
struct PiiTruth {
  int64_t row;
  std::string column;
  std::string kind;
  std::string value;
};

// Writes a CSV (header line, LF line ends, RFC 4180 quoting where a cell holds
// a comma, quote or line break) to `out` and returns the ground truth of every
// planted PII value, in row order. Errors: InvalidArgument for rows outside
// 1..kMaxGeneratedRows or a rate outside [0, 1]; Unavailable when `out` fails.
Result<std::vector<PiiTruth>> GenerateMessyCsv(const GeneratorOptions& options, std::ostream& out);

// The header of the table GenerateMessyCsv writes for `with_pii`.
std::vector<std::string> MessyColumns(bool with_pii);

}  // namespace citadel::data
