// The clean op table, the parser of `clean:` entries, and what the ops share.
#include "data/clean/row_operation.h"

#include <fmt/format.h>

#include "data/clean/clean_ops.h"
#include "data/clean/duplicate_rows.h"
#include "data/expr/expression.h"
#include "data/transform/transform.h"

namespace citadel::data {
namespace {

struct CleanOp {
  std::string_view op;
  Result<std::unique_ptr<RowOperation>> (*make)(const SpecReader& item);
};

constexpr CleanOp kCleanOps[] = {
    {"drop_duplicates", MakeDropDuplicates},
    {"drop_missing", MakeDropMissing},
    {"filter", MakeFilter},
};

}  // namespace

RowOperation::~RowOperation() = default;

const std::vector<std::string_view>& RowOperationNames() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const CleanOp& c : kCleanOps) out.push_back(c.op);
    return out;
  }();
  return names;
}

Result<std::unique_ptr<RowOperation>> ParseRowOperation(const SpecReader& item) {
  if (!item.json().is_object()) {
    return item.Error("expected a mapping such as { op: filter, expr: 'age >= 18' }");
  }
  ASSIGN_OR_RETURN(std::string op, item.String("op"));
  for (const CleanOp& c : kCleanOps) {
    if (c.op == op) return c.make(item);
  }
  for (const TransformOp& t : TransformOps()) {
    if (t.op == op) {
      return item.FieldError(
          "op", fmt::format("'{}' is a transform: it rewrites columns, fitted on the training "
                            "split, and never removes rows; list it under transforms: instead "
                            "of clean:",
                            op));
    }
  }
  std::string names;
  for (std::string_view name : RowOperationNames()) {
    names += fmt::format("{}{}", names.empty() ? "" : ", ", name);
  }
  return item.FieldError(
      "op", fmt::format("unknown op '{}' (clean ops: {})", ShortenForMessage(op), names));
}

Result<std::optional<std::vector<std::string>>> ReadColumnNames(const SpecReader& item,
                                                                std::string_view key) {
  if (!item.Has(key)) return std::optional<std::vector<std::string>>();
  const Json& value = item.json()[std::string(key)];
  std::vector<std::string> names;
  if (value.is_string()) {
    names.push_back(value.get<std::string>());
  } else {
    ASSIGN_OR_RETURN(names, item.StringList(key));
  }
  if (names.empty()) {
    return item.FieldError(key,
                           "expected at least one column name (leave the field out to "
                           "mean every column)");
  }
  for (const std::string& name : names) {
    if (name.empty()) return item.FieldError(key, "column names must not be empty");
  }
  return std::optional<std::vector<std::string>>(std::move(names));
}

std::string SpecLocation(const SpecReader& item) {
  // SpecReader formats "FILE:LINE: POINTER: MESSAGE"; an empty message leaves
  // the location followed by ": ".
  std::string where = item.Error("").message();
  if (where.size() >= 2 && where.ends_with(": ")) where.resize(where.size() - 2);
  return where;
}

Result<std::vector<const Column*>> ResolveColumns(
    const Table& table, const std::optional<std::vector<std::string>>& names,
    std::string_view what) {
  std::vector<const Column*> out;
  if (!names) {
    for (const Column& c : table.columns) out.push_back(&c);
  } else {
    for (const std::string& name : *names) {
      ASSIGN_OR_RETURN(const Column* c, table.Get(name, what));
      out.push_back(c);
    }
  }
  RETURN_IF_ERROR(CheckRowCount(out, table.num_rows()));
  return out;
}

size_t KeepWhere(Table& table, const std::vector<uint8_t>& keep) {
  std::vector<size_t> rows;
  rows.reserve(keep.size());
  for (size_t r = 0; r < keep.size(); ++r) {
    if (keep[r] != 0) rows.push_back(r);
  }
  const size_t removed = table.num_rows() - rows.size();
  if (removed > 0) table.KeepRows(rows);
  return removed;
}

}  // namespace citadel::data
