// The `kind: process` step: ingest → clean → validate → profile → split →
// fit transforms on `train` and apply them to every split → export one
// dataset directory per split (docs/formats/dataset.md).
//
// Row operations (clean:) run on all rows before the split, so a duplicate or
// a filtered row can never sit on both sides of it. Fitted transforms learn
// their parameters on the split named exactly "train" (or on the only split)
// and apply them verbatim to every split; the fitted form is stored in every
// split's schema.json, so FeaturePipeline (feature_pipeline.h) reproduces the
// same features for a new row at serving time.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "data/prep/dataset_export.h"
#include "data/prep/process_spec.h"

namespace citadel::data {

// What a step reports besides its datasets. Filled as far as the step got,
// also when PrepareDataset fails (a failed validation gate leaves its report
// here for the run directory).
struct PrepareReports {
  Json profile;             // profile/profile.h of the cleaned input; null when disabled
  Json validation;          // validate/validation_report.h; null without expect:
  Json pii;                 // PiiReportToJson of the cleaned input; null for pii: allow
  std::string pii_summary;  // human-readable findings ("" when none)
};

// Where a step's time went, stage by stage, in the order they ran: "read",
// "clean", "validate", "pii", "profile", "split" (with the label encoding),
// then one entry per transform ("transforms/INDEX (op)", fit and apply
// together), "features" (the final checks of the feature columns).
// Only stages that ran are listed. Wall seconds; the process step logs them.
using StageTimes = std::vector<std::pair<std::string, double>>;

struct PrepareResult {
  std::vector<PreparedSplit> splits;  // in split order
  // {"source_rows", "rows_after_clean", "features", "classes", "clean": [...]}
  Json stats;
  StageTimes stages;
};

// Fits the transforms of `spec` in place (a spec is prepared once).
// Pure function of (spec, input bytes, env): the same input gives
// bit-identical output. Errors (InvalidArgument unless noted) name the file,
// line and column of bad data, the failed expectation and its violating rows,
// the transform that failed (transforms/INDEX op), a split that would get no
// rows; a pii: deny violation is FailedPrecondition.
Result<PrepareResult> PrepareDataset(ProcessSpec& spec, const TransformEnv& env,
                                     PrepareReports& reports);

}  // namespace citadel::data
