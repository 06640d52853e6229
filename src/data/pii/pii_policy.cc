#include "data/pii/pii_policy.h"

#include <fmt/format.h>

#include <map>

#include "base/system/thread_pool.h"

namespace citadel::data {
namespace {

// Every string inside `value`, with a JSON-pointer-like path, for the
// stored-text scan.
void CollectStrings(const Json& value, const std::string& path,
                    std::vector<std::pair<std::string, std::string>>& out) {
  if (value.is_string()) {
    out.emplace_back(path, value.get<std::string>());
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) {
      CollectStrings(value[i], fmt::format("{}/{}", path, i), out);
    }
  } else if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      out.emplace_back(path + "/" + key + " (key)", key);
      CollectStrings(child, path + "/" + key, out);
    }
  }
}

}  // namespace

std::vector<PiiColumnReport> ScanTableForPii(const Table& table) {
  std::vector<const Column*> scanned;
  for (const Column& c : table.columns) {
    if (c.type == ColumnType::kString || c.type == ColumnType::kInt) scanned.push_back(&c);
  }
  std::vector<PiiColumnReport> reports(scanned.size());
  // Columns are independent: one per core.
  SharedPool().ParallelFor(scanned.size(), [&](size_t i) {
    const Column& c = *scanned[i];
    if (c.type == ColumnType::kInt) {
      std::vector<int64_t> values;
      values.reserve(c.size());
      for (size_t r = 0; r < c.size(); ++r) {
        if (c.is_valid(r)) values.push_back(c.ints[r]);
      }
      reports[i] = ScanIntegers(c.name, values);
      return;
    }
    std::vector<std::string_view> cells;
    cells.reserve(c.size());
    for (size_t r = 0; r < c.size(); ++r) {
      if (c.is_valid(r)) cells.push_back(c.strings[r]);
    }
    reports[i] = ScanColumn(c.name, cells);
  });
  return reports;
}

Json PiiReportToJson(const std::vector<PiiColumnReport>& reports) {
  Json columns = Json::object();
  int64_t scanned = 0;
  for (const PiiColumnReport& r : reports) {
    scanned += r.cells;
    if (r.counts.empty()) continue;
    Json kinds = Json::object();
    for (const auto& [kind, count] : r.counts) kinds[kind] = count;
    columns[r.column] = std::move(kinds);
  }
  return Json{{"columns", std::move(columns)}, {"cells_scanned", scanned}};
}

std::string PiiFindingsSummary(const std::vector<PiiColumnReport>& reports) {
  std::string out;
  for (const PiiColumnReport& r : reports) {
    if (r.counts.empty()) continue;
    std::string kinds;
    for (const auto& [kind, count] : r.counts) {
      kinds += fmt::format("{}{} in {} cells", kinds.empty() ? "" : ", ", kind, count);
    }
    out += fmt::format("{}column '{}': {}", out.empty() ? "" : "\n", r.column, kinds);
  }
  return out;
}

Status CheckNoPiiInOutput(const std::vector<PiiColumnReport>& input_findings,
                          const std::set<std::string>& protected_inputs,
                          const std::vector<std::string>& features,
                          const std::vector<std::vector<std::string>>& lineage,
                          const Json& stored_text) {
  std::map<std::string, const PiiColumnReport*> found;
  for (const PiiColumnReport& r : input_findings) {
    if (!r.counts.empty()) found.emplace(r.column, &r);
  }
  // Input column → the features that carry it unprotected.
  std::map<std::string, std::vector<std::string>> leaks;
  for (size_t i = 0; i < features.size(); ++i) {
    for (const std::string& source : lineage[i]) {
      if (found.count(source) != 0 && protected_inputs.count(source) == 0) {
        leaks[source].push_back(features[i]);
      }
    }
  }
  std::vector<std::string> problems;
  for (const auto& [column, feats] : leaks) {
    std::string kinds;
    for (const auto& [kind, count] : found[column]->counts) {
      kinds += fmt::format("{}{} ×{}", kinds.empty() ? "" : ", ", kind, count);
    }
    problems.push_back(fmt::format(
        "input column '{}' holds PII ({}) and reaches {} feature(s) unprotected, e.g. '{}'", column,
        kinds, feats.size(), feats.front()));
  }
  std::vector<std::pair<std::string, std::string>> strings;
  CollectStrings(stored_text, "schema.json", strings);
  size_t stored_hits = 0;
  for (const auto& [path, text] : strings) {
    std::vector<PiiMatch> matches = FindPii(text);
    if (matches.empty()) continue;
    if (++stored_hits <= 5) {
      const PiiMatch& m = matches.front();
      problems.push_back(fmt::format("{} stores a value with {} PII: '{}'", path,
                                     PiiKindName(m.kind),
                                     ShortenForMessage(text.substr(m.offset, m.length))));
    }
  }
  if (stored_hits > 5) problems.push_back(fmt::format("… {} more stored values", stored_hits - 5));
  if (problems.empty()) return Status::Ok();
  std::string message = "pii: deny — the output dataset would contain PII:";
  for (const std::string& p : problems) message += "\n  - " + p;
  message +=
      "\nprotect the columns before they become features: add { op: hash, columns: pii } (keyed "
      "HMAC), { op: redact, columns: pii } or { op: drop, columns: pii } to transforms, or set "
      "pii: warn if this data may carry PII";
  return FailedPreconditionError(std::move(message));
}

}  // namespace citadel::data
