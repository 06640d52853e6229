// The op table: each family of transforms adds its ops through its hook, so
// this file never needs to know their types.
#include <fmt/format.h>

#include <algorithm>

#include "data/transform/transform.h"

namespace citadel::data {
namespace {

// Row-level ops live under `clean:`; named here only for a helpful message.
constexpr std::string_view kRowOps[] = {"drop_duplicates", "drop_missing", "filter"};

std::string KnownOps() {
  std::string names;
  for (const TransformOp& t : TransformOps()) {
    names += fmt::format("{}{}", names.empty() ? "" : ", ", t.op);
  }
  return names;
}

}  // namespace

const std::vector<TransformOp>& TransformOps() {
  static const std::vector<TransformOp> ops = [] {
    std::vector<TransformOp> all;
    AddNumericTransformOps(all);
    AddCategoricalTransformOps(all);
    AddExpressionTransformOps(all);
    std::sort(all.begin(), all.end(),
              [](const TransformOp& a, const TransformOp& b) { return a.op < b.op; });
    return all;
  }();
  return ops;
}

Result<std::unique_ptr<ColumnTransform>> ParseTransform(const SpecReader& item,
                                                        const TransformEnv& env) {
  if (!item.json().is_object()) {
    return item.Error("expected a mapping such as { op: standardize, columns: all_numeric }");
  }
  ASSIGN_OR_RETURN(std::string op, item.String("op"));
  for (const TransformOp& t : TransformOps()) {
    if (t.op == op) return t.make(item, env);
  }
  for (std::string_view row_op : kRowOps) {
    if (op == row_op) {
      return item.FieldError(
          "op", fmt::format("'{}' removes rows, so it runs before the split: list it under "
                            "the step's clean: section instead of transforms:",
                            op));
    }
  }
  return item.FieldError("op", fmt::format("unknown op '{}' (transform ops: {})", op, KnownOps()));
}

Result<std::unique_ptr<ColumnTransform>> LoadFittedTransform(const Json& stored,
                                                             const TransformEnv& env,
                                                             std::string_view where) {
  if (!stored.is_object() || !stored.contains("fitted")) {
    return InvalidArgumentError(
        fmt::format("{}: a preprocessing entry must be an object with \"op\" and \"fitted\"; "
                    "the dataset was written by another Citadel version or edited",
                    where));
  }
  // The spec part goes through the same parser as a pipeline spec, so a
  // stored entry is validated exactly as strictly as a written one.
  YamlDocument doc;
  doc.source = std::string(where);
  doc.root = stored;
  doc.root.erase("fitted");
  SpecReader item(doc, "");
  ASSIGN_OR_RETURN(std::unique_ptr<ColumnTransform> t, ParseTransform(item, env));
  RETURN_IF_ERROR(t->LoadFitted(stored["fitted"]).WithContext(where));
  return t;
}

}  // namespace citadel::data
