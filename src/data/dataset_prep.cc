// PrepareDataset: the order of the stages is the contract of dataset_prep.h —
// read, encode, drop duplicates, split, fit on train and apply, export.
#include "data/dataset_prep.h"

#include <fmt/format.h>

#include <algorithm>

#include "data/ingest/csv_reader.h"
#include "data/internal/dataset_export.h"
#include "data/internal/frame.h"
#include "data/internal/split.h"
#include "data/internal/transforms.h"

namespace citadel::data {
namespace {

constexpr std::string_view kWholeDataset = "data";

}  // namespace

Result<PrepareResult> PrepareDataset(const ProcessSpec& spec) {
  RETURN_IF_ERROR(ValidateSplitSpec(spec.split));
  bool fitted = std::any_of(spec.transforms.begin(), spec.transforms.end(),
                            [](const TransformSpec& t) { return t.op == kStandardize; });
  size_t fit_split = 0;
  if (fitted) {
    // Checked before reading the file: a misnamed split is a spec error.
    Result<size_t> index = FitSplitIndex(spec.split);
    if (!index.ok()) return index.status().WithContext("split");
    fit_split = *index;
  }
  ASSIGN_OR_RETURN(CsvTable table, ReadCsv(spec.csv, spec.csv_options));
  if (table.num_rows() == 0) {
    return InvalidArgumentError(fmt::format(
        "{}: no data rows after the header; if line 1 is data, set header: false", table.source()));
  }
  ASSIGN_OR_RETURN(Frame frame, BuildFrame(table, spec.label));
  RETURN_IF_ERROR(ValidateTransforms(spec.transforms, frame).WithContext(table.source()));

  SourceCounts source{.rows = frame.num_rows(), .duplicates_dropped = 0};
  // Row-level cleaning precedes the split wherever it is listed, so that a
  // duplicate can never sit on both sides of it.
  bool drop_duplicates =
      std::any_of(spec.transforms.begin(), spec.transforms.end(),
                  [](const TransformSpec& t) { return t.op == kDropDuplicates; });
  if (drop_duplicates) source.duplicates_dropped = DropDuplicateRows(frame);

  SplitSpec split = spec.split;
  std::vector<std::vector<size_t>> rows;
  if (split.fractions.empty()) {
    split.fractions.emplace_back(std::string(kWholeDataset), 1.0);
    rows.emplace_back(frame.num_rows());
    for (size_t r = 0; r < frame.num_rows(); ++r) rows[0][r] = r;
  } else {
    rows = AssignSplits(split, frame.labels, frame.classes.size());
  }
  // An empty split would train or evaluate on nothing further down the pipeline.
  for (size_t s = 0; s < split.fractions.size(); ++s) {
    if (!rows[s].empty()) continue;
    return InvalidArgumentError(fmt::format(
        "{}: split '{}' (fraction {}) would get 0 of {} rows{}; use more data or a larger fraction",
        table.source(), split.fractions[s].first, split.fractions[s].second, frame.num_rows(),
        source.duplicates_dropped > 0 ? " left after drop_duplicates" : ""));
  }

  Json preprocessing = Json::array();
  for (const TransformSpec& t : spec.transforms) {
    if (t.op != kStandardize) continue;
    ASSIGN_OR_RETURN(StandardizeFit fit,
                     FitStandardize(frame, StandardizeColumns(t, frame), rows[fit_split]));
    ApplyStandardize(fit, frame);
    preprocessing.push_back(fit.ToJson(frame));
  }

  PrepareResult result;
  for (size_t s = 0; s < split.fractions.size(); ++s) {
    ASSIGN_OR_RETURN(PreparedSplit prepared,
                     ExportSplit(frame, split.fractions[s].first, rows[s], preprocessing, source));
    result.splits.push_back(std::move(prepared));
  }
  result.stats = Json{{"source_rows", source.rows},
                      {"duplicates_dropped", source.duplicates_dropped},
                      {"features", frame.num_features()},
                      {"classes", frame.classes.size()}};
  return result;
}

}  // namespace citadel::data
