// ColumnTransform: one `transforms:` entry of a process step — a column-level
// operation that may learn parameters (fit) from the training rows and then
// rewrites columns of a Table (apply) without changing its rows.
//
// Life cycle in a step: every transform is built from its spec entry, then,
// in list order, Fit on the rows of the training split of the current table
// and Apply to the whole table (all splits at once), so transform k + 1 fits
// on the output of transform k. Parameters never see held-out rows.
//
// The fitted transform is stored in the dataset's schema.json as ToJson():
//   {"op": "...", <spec fields as written>, "fitted": {<learned parameters>}}
// and LoadFittedTransform() rebuilds it from that object, so serving (and any
// later dataset) applies exactly the same mapping, verbatim, with no refit.
//
// Apply is const and must not depend on anything but the fitted state and the
// input columns: the same transform is applied to the training table and to a
// one-row table of a serving request. Cells it cannot handle (an unseen
// category, a missing value where none is allowed) follow the op's declared
// policy, or are an InvalidArgument naming table.Where(row), the column and
// the value.
//
// Column lineage: every column an Apply writes carries `sources` = the union
// of the sources of the columns it was computed from.
//
// Implementations are not thread-safe; a fitted transform may be shared by
// threads that only call Apply on different tables.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "base/text/spec_reader.h"
#include "data/table/table.h"

namespace citadel::data {

// What a transform may need beyond its spec entry.
struct TransformEnv {
  // Secret key for keyed hashing of PII (op: hash). Comes from the workspace
  // (keys/pii-hmac.key); empty when the caller has none, and then op: hash
  // refuses to build.
  std::string pii_hmac_key;
};

class ColumnTransform {
 public:
  virtual ~ColumnTransform() = default;

  // The op name as written in the spec ("standardize").
  virtual std::string_view op() const = 0;

  // Learns parameters from `fit_rows` (ascending row indices, possibly
  // empty) of `table`. Transforms without parameters still resolve their
  // column selection here. Errors: InvalidArgument naming the column (a
  // column of the wrong type, a statistic that is not finite, nothing to fit
  // on where the op needs data).
  virtual Status Fit(const Table& table, std::span<const size_t> fit_rows) = 0;

  // Rewrites `table` in place. Precondition: Fit succeeded or the transform
  // came from LoadFittedTransform.
  virtual Status Apply(Table& table) const = 0;

  // {"op", spec fields, "fitted": {…}}; see the file comment.
  virtual Json ToJson() const = 0;

  // Restores the learned parameters from ToJson()["fitted"]. Errors:
  // InvalidArgument naming the field when the object is malformed.
  virtual Status LoadFitted(const Json& fitted) = 0;
};

// Builds an unfitted transform from its spec entry (`item` is the mapping,
// with its "op" already known to be `op`). Errors come from SpecReader, so
// they read "spec.yaml:LINE: steps/0/transforms/2/columns: …".
using TransformFactory = std::function<Result<std::unique_ptr<ColumnTransform>>(
    const SpecReader& item, const TransformEnv& env)>;

struct TransformOp {
  std::string_view op;
  TransformFactory make;
};

// Every supported op, sorted by name.
const std::vector<TransformOp>& TransformOps();

// Reads one `transforms:` entry. Unknown ops are an error listing the known
// ones; row-level ops (filter, drop_missing, drop_duplicates) get a hint that
// they belong under `clean:`.
Result<std::unique_ptr<ColumnTransform>> ParseTransform(const SpecReader& item,
                                                        const TransformEnv& env);

// Rebuilds a fitted transform from its ToJson() object (from schema.json).
// `where` names the origin in errors ("dataset sha256:ab12… schema.json").
Result<std::unique_ptr<ColumnTransform>> LoadFittedTransform(const Json& stored,
                                                             const TransformEnv& env,
                                                             std::string_view where);

// Registration hooks, one per family of ops (each defined beside its ops).
void AddNumericTransformOps(std::vector<TransformOp>& ops);
void AddCategoricalTransformOps(std::vector<TransformOp>& ops);
void AddExpressionTransformOps(std::vector<TransformOp>& ops);  // derive

}  // namespace citadel::data
