// ValidationReport: its verdict, its JSON form and its summary for people.
#include "data/validate/validation_report.h"

#include <fmt/format.h>

namespace citadel::data {
namespace {

// "t.csv:4: column 'age' = 150 (allowed range 0 … 120)"
std::string ViolationLine(const ExpectationResult& r, const Violation& v) {
  if (r.kind == Expectation::Kind::kNotNull) {
    return fmt::format("{}: column '{}' is missing", v.where, v.column);
  }
  std::string subject = v.value;
  if (!v.column.empty()) {
    subject =
        fmt::format("{} '{}' = {}", v.column.find(", ") == std::string::npos ? "column" : "columns",
                    v.column, v.value.empty() ? "\"\"" : v.value);
  }
  std::string why = r.rule;
  if (!v.detail.empty()) why = why.empty() ? v.detail : fmt::format("{}; {}", why, v.detail);
  return fmt::format("{}: {}{}", v.where, subject, why.empty() ? "" : fmt::format(" ({})", why));
}

}  // namespace

bool ValidationReport::failed() const {
  for (const ExpectationResult& r : results) {
    if (!r.passed && r.severity == Severity::kError) return true;
  }
  return false;
}

Json ValidationReport::ToJson() const {
  Json expectations = Json::array();
  bool all_passed = true;
  for (const ExpectationResult& r : results) {
    all_passed = all_passed && r.passed;
    Json rows = Json::array();
    for (const Violation& v : r.rows) {
      rows.push_back(Json{{"row_id", v.row_id},
                          {"where", v.where},
                          {"column", v.column},
                          {"value", v.value},
                          {"detail", v.detail}});
    }
    expectations.push_back(Json{{"name", r.name},
                                {"kind", KindName(r.kind)},
                                {"severity", SeverityName(r.severity)},
                                {"passed", r.passed},
                                {"violations", r.violations},
                                {"rule", r.rule},
                                {"rows", std::move(rows)},
                                {"spec", r.spec}});
  }
  return Json{{"passed", all_passed}, {"failed", failed()}, {"expectations", expectations}};
}

std::string ValidationReport::Summary() const {
  size_t errors = 0, warnings = 0;
  for (const ExpectationResult& r : results) {
    if (r.passed) continue;
    (r.severity == Severity::kError ? errors : warnings) += 1;
  }
  if (errors + warnings == 0) {
    return fmt::format("all {} expectation{} held", results.size(), results.size() == 1 ? "" : "s");
  }
  std::string out = fmt::format(
      "{} of {} expectations failed ({} error{}, {} warning{}):", errors + warnings, results.size(),
      errors, errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
  for (const ExpectationResult& r : results) {
    if (r.passed) continue;
    out += fmt::format("\n  {} {}: {} violation{}", SeverityName(r.severity), r.name, r.violations,
                       r.violations == 1 ? "" : "s");
    const size_t shown = std::min(r.rows.size(), kMaxSummaryRows);
    for (size_t i = 0; i < shown; ++i) out += "\n    " + ViolationLine(r, r.rows[i]);
    if (r.violations > shown) out += fmt::format("\n    … and {} more", r.violations - shown);
  }
  return out;
}

}  // namespace citadel::data
