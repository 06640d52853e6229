// Scan reports as SARIF 2.1.0 (the format code-scanning services ingest):
// one run of the tool "citadel-scan" with a rule per finding kind, and one
// result per finding — level "error" for dangerous, "warning" for
// suspicious — located at the file, its byte offset when the finding is in
// the file itself, and the archive entry as a logical location.
#pragma once

#include <string_view>
#include <vector>

#include "base/text/json.h"
#include "scan/model_scanner.h"

namespace citadel::scan {

// Every rule a scan can report, with what it means.
struct Rule {
  std::string_view id;
  std::string_view description;
};
const std::vector<Rule>& Rules();

Json ToSarif(const std::vector<FileReport>& reports, std::string_view tool_version);

}  // namespace citadel::scan
