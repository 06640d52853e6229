// The `pii:` policy of a process step: find PII in the cleaned input, follow
// it through column lineage to the output, and refuse (deny) a dataset that
// would carry any of it unprotected.
//
// A dataset carries PII when
//   - a feature derives (column lineage) from an input column in which PII
//     was found, and no privacy transform (redact, hash, drop) processed that
//     input column on the way; or
//   - any text the dataset stores — feature names, class names, fitted
//     parameters such as one-hot categories or TF-IDF vocabularies — holds a
//     PII value itself.
// Pure functions; safe to call concurrently.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "data/pii/column_scan.h"
#include "data/table/table.h"

namespace citadel::data {

// Scans every string column, and the text of every int column (a phone or
// card number read as a number is still one), on all rows. Columns without a
// finding are included with empty counts, so the report says what was looked at.
std::vector<PiiColumnReport> ScanTableForPii(const Table& table);

// {"columns": {name: {kind: cells}}, "cells_scanned": n}: only columns with findings.
Json PiiReportToJson(const std::vector<PiiColumnReport>& reports);

// One line per column with findings: "email: 'email' (1000 cells), …".
std::string PiiFindingsSummary(const std::vector<PiiColumnReport>& reports);

// The deny check. `protected_inputs` are input columns a privacy transform
// processed; `features` and `lineage` describe the output (lineage[i] = the
// input columns of feature i); `stored_text` is the schema.json that every
// split will carry. FailedPrecondition listing each violation and the
// transform that fixes it; Ok when nothing unprotected remains.
Status CheckNoPiiInOutput(const std::vector<PiiColumnReport>& input_findings,
                          const std::set<std::string>& protected_inputs,
                          const std::vector<std::string>& features,
                          const std::vector<std::vector<std::string>>& lineage,
                          const Json& stored_text);

}  // namespace citadel::data
