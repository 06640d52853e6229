// ProcessSpec: a `kind: process` step as read from the pipeline spec.
//
//   - name: prepare
//     kind: process
//     input: { csv: data/customers.csv.gz, label: churned, schema: { age: int } }
//     clean:                       # row operations on all rows, before the split
//       - { op: drop_missing, columns: [churned] }
//       - { op: filter, expr: 'age >= 18 and country != "XX"' }
//       - { op: drop_duplicates }
//     expect:                      # validation gates on the cleaned rows
//       - { not_null: [customer_id] }
//       - { range: { column: age, min: 0, max: 120 } }
//     split: { train: 0.8, test: 0.2, seed: 7, stratify: churned }
//     transforms:                  # column transforms, fitted on `train`
//       - { op: impute, columns: [age, income], strategy: median }
//       - { op: hash, columns: pii }
//       - { op: one_hot, columns: [country, segment], max_categories: 20 }
//       - { op: standardize, columns: all_numeric }
//     pii: deny                    # allow | warn (default) | deny
//     profile: true                # write the input profile report (default)
//
// Move-only (it owns the parsed operations). Every error names the spec file
// and line through SpecReader.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/text/spec_reader.h"
#include "data/clean/row_operation.h"
#include "data/ingest/input_spec.h"
#include "data/split/split_spec.h"
#include "data/transform/transform.h"
#include "data/validate/expectation.h"

namespace citadel::data {

// What to do when PII is found in the input: record it (allow), also warn in
// the run log (warn), or fail the step when any of it reaches the output
// dataset unprotected (deny; see pii/pii_policy.h).
enum class PiiPolicy { kAllow, kWarn, kDeny };

struct ProcessSpec {
  InputSpec input;
  std::vector<std::unique_ptr<RowOperation>> clean;
  std::vector<Expectation> expect;
  split::SplitSpec split;  // no fractions → one output named "data"
  std::vector<std::unique_ptr<ColumnTransform>> transforms;
  PiiPolicy pii = PiiPolicy::kWarn;
  bool profile = true;
};

// Reads and validates the step mapping (its own fields plus `extra_known`,
// which the caller handles). `spec_dir` resolves relative input paths; `env`
// is handed to the transform factories. With a fitted transform and several
// splits, one split must be named "train" (error at the split's line).
Result<ProcessSpec> ParseProcessSpec(const SpecReader& step, const std::filesystem::path& spec_dir,
                                     std::initializer_list<std::string_view> extra_known,
                                     const TransformEnv& env);

}  // namespace citadel::data
