// PrepareDataset: the stage order is the contract of dataset_prep.h.
#include <fmt/format.h>

#include <set>

#include "base/time.h"
#include "data/dataset_prep.h"
#include "data/pii/pii_policy.h"
#include "data/profile/table_profile.h"
#include "data/split/assign_splits.h"
#include "data/transform/privacy/pii_ops.h"
#include "data/validate/validation_report.h"

namespace citadel::data {
namespace {

constexpr std::string_view kWholeDataset = "data";

// The raw columns a serving request must provide, with their types.
Json DescribeInput(const Table& table) {
  Json columns = Json::array();
  for (const Column& c : table.columns) {
    columns.push_back(Json{{"name", c.name}, {"type", ColumnTypeName(c.type)}});
  }
  return Json{{"columns", std::move(columns)}, {"label", table.label}};
}

// Input columns a privacy op processed: the sources of the columns it names
// in its fitted state (or, failing that, its spec), read before it applies.
void AddProtectedInputs(const ColumnTransform& t, const Table& before, std::set<std::string>& out) {
  Json stored = t.ToJson();
  const Json& fitted = stored.value("fitted", Json::object());
  Json names = fitted.contains("columns") ? fitted["columns"] : stored.value("columns", Json());
  if (names.is_string()) names = Json::array({names});
  if (!names.is_array()) return;
  for (const Json& name : names) {
    if (!name.is_string()) continue;
    if (const Column* c = before.Find(name.get<std::string>())) {
      out.insert(c->sources.begin(), c->sources.end());
    }
  }
}

}  // namespace

Result<PrepareResult> PrepareDataset(ProcessSpec& spec, const TransformEnv& env,
                                     PrepareReports& reports) {
  StageTimes stages;
  Stopwatch stage_clock;
  // Closes the stage that ran since the previous call.
  auto stage_done = [&](std::string name) {
    stages.emplace_back(std::move(name), stage_clock.ElapsedSeconds());
    stage_clock.Reset();
  };
  ASSIGN_OR_RETURN(Table table, ReadTable(spec.input));
  stage_done("read");
  if (table.num_rows() == 0) {
    return InvalidArgumentError(
        fmt::format("{}: no data rows; if line 1 is data rather than a header, set header: false",
                    table.source));
  }
  const size_t source_rows = table.num_rows();

  Json clean_log = Json::array();
  for (size_t i = 0; i < spec.clean.size(); ++i) {
    const RowOperation& op = *spec.clean[i];
    Result<size_t> removed = op.Run(table);
    if (!removed.ok()) {
      return removed.status().WithContext(fmt::format("clean/{} ({})", i, op.op()));
    }
    clean_log.push_back(Json{{"op", op.ToJson()}, {"removed", *removed}});
  }
  if (!spec.clean.empty()) stage_done("clean");
  if (table.num_rows() == 0) {
    return InvalidArgumentError(fmt::format(
        "{}: the clean: operations removed all {} rows; loosen the filter or check the data",
        table.source, source_rows));
  }

  if (!spec.expect.empty()) {
    ASSIGN_OR_RETURN(ValidationReport validation, Validate(table, spec.expect));
    reports.validation = validation.ToJson();
    if (validation.failed()) {
      return InvalidArgumentError(
          fmt::format("{}: validation failed:\n{}", table.source, validation.Summary()));
    }
    stage_done("validate");
  }

  std::vector<PiiColumnReport> pii;
  if (spec.pii != PiiPolicy::kAllow) {
    pii = ScanTableForPii(table);
    reports.pii = PiiReportToJson(pii);
    reports.pii_summary = PiiFindingsSummary(pii);
    stage_done("pii");
  }
  if (spec.profile) {
    // The policy's scan already covered every column: the profile reuses it
    // instead of scanning again.
    reports.profile = ProfileTable(table, {.scan_pii = false});
    for (const PiiColumnReport& r : pii) {
      if (r.counts.empty()) continue;
      for (Json& column : reports.profile["columns"]) {
        if (column.value("name", "") != r.column) continue;
        Json kinds = Json::object();
        for (const auto& [kind, count] : r.counts) kinds[kind] = count;
        column["pii"] = std::move(kinds);
      }
    }
    stage_done("profile");
  }

  ASSIGN_OR_RETURN(EncodedLabels labels, EncodeLabels(table));
  split::SplitSpec split = spec.split;
  std::vector<std::vector<size_t>> rows;
  size_t fit_split = 0;
  if (split.fractions.empty()) {
    split.fractions.emplace_back(std::string(kWholeDataset), 1.0);
    rows.emplace_back(table.num_rows());
    for (size_t r = 0; r < table.num_rows(); ++r) rows[0][r] = r;
  } else {
    ASSIGN_OR_RETURN(rows, split::AssignSplits(split, table));
    if (!spec.transforms.empty()) {
      ASSIGN_OR_RETURN(fit_split, split::FitSplitIndex(split));
    }
  }

  stage_done("split");
  DatasetDescription shared;
  shared.input = DescribeInput(table);
  shared.source = Json{{"rows", source_rows}, {"clean", clean_log}};
  shared.preprocessing = Json::array();
  std::set<std::string> protected_inputs;
  for (size_t i = 0; i < spec.transforms.size(); ++i) {
    ColumnTransform& t = *spec.transforms[i];
    std::string where = fmt::format("transforms/{} ({})", i, t.op());
    RETURN_IF_ERROR(t.Fit(table, rows[fit_split]).WithContext(where));
    if (IsPrivacyOp(t.op())) AddProtectedInputs(t, table, protected_inputs);
    RETURN_IF_ERROR(t.Apply(table).WithContext(where));
    shared.preprocessing.push_back(t.ToJson());
    stage_done(std::move(where));
  }

  if (spec.pii == PiiPolicy::kDeny) {
    // Checked on the columns, before they must be numeric, so that a PII
    // column that is still text is reported as PII, not as a type problem.
    std::vector<std::string> names;
    std::vector<std::vector<std::string>> lineage;
    for (const Column& c : table.columns) {
      if (c.name == table.label) continue;
      names.push_back(c.name);
      lineage.push_back(c.sources);
    }
    Json stored = Json{{"features", names},
                       {"label", {{"name", labels.name}, {"classes", labels.classes}}},
                       {"input", shared.input},
                       {"preprocessing", shared.preprocessing},
                       {"source", shared.source}};
    RETURN_IF_ERROR(CheckNoPiiInOutput(pii, protected_inputs, names, lineage, stored));
  }
  const size_t rows_after_clean = table.num_rows();
  ASSIGN_OR_RETURN(std::shared_ptr<const ExportSource> source,
                   ExportSource::Make(std::move(table), std::move(labels)));
  stage_done("features");
  PrepareResult result;
  // Cheap: each split's bytes are gathered later, as they are stored.
  for (size_t s = 0; s < split.fractions.size(); ++s) {
    ASSIGN_OR_RETURN(result.splits.emplace_back(),
                     ExportSplit(source, split.fractions[s].first, std::move(rows[s]), shared));
  }
  result.stats = Json{{"source_rows", source_rows},
                      {"rows_after_clean", rows_after_clean},
                      {"features", source->features.names.size()},
                      {"classes", source->labels.classes.size()},
                      {"clean", clean_log}};
  result.stages = std::move(stages);
  return result;
}

}  // namespace citadel::data
