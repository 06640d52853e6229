#include "data/transform/numeric/numeric_ops.h"

#include <algorithm>
#include <cmath>

namespace citadel::data {
namespace {

constexpr size_t kShownValueBytes = 40;

}  // namespace

void AddNumericTransformOps(std::vector<TransformOp>& ops) {
  AddScalerOps(ops);
  AddImputeOps(ops);
  AddClipOps(ops);
  AddCastOps(ops);
  AddLog1pOps(ops);
  AddBucketizeOps(ops);
  AddPixelOps(ops);
}

std::string QuotedValue(std::string_view text) {
  if (text.size() <= kShownValueBytes) return fmt::format("'{}'", text);
  size_t cut = kShownValueBytes - 3;
  // Never split a UTF-8 sequence: back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return fmt::format("'{}...' ({} bytes)", text.substr(0, cut), text.size());
}

Status CellError(const Table& table, size_t row, std::string_view op, const Column& column,
                 std::string_view problem) {
  return InvalidArgumentError(fmt::format("{}: {}: column '{}' value {}: {}", table.Where(row), op,
                                          column.name, QuotedValue(column.CellText(row)), problem));
}

Result<std::vector<std::string>> ResolveNumeric(const ColumnSelection& selection,
                                                const Table& table, std::string_view op) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, selection.Resolve(table, op));
  for (const std::string& name : names) {
    const Column* c = table.Find(name);
    if (!c->is_numeric()) {
      return InvalidArgumentError(
          fmt::format("{}: column '{}' is {}, not numeric; encode or cast it first", op, name,
                      ColumnTypeName(c->type)));
    }
  }
  return names;
}

Result<Column*> GetNumeric(Table& table, std::string_view name, std::string_view op) {
  ASSIGN_OR_RETURN(Column * c, table.Get(name, op));
  if (!c->is_numeric()) {
    return InvalidArgumentError(fmt::format(
        "{}: column '{}' is {} here but was numeric (int, float or bool) when the transform was "
        "fitted; give this input the training column types",
        op, name, ColumnTypeName(c->type)));
  }
  return c;
}

Result<std::vector<Column*>> GetNumericColumns(Table& table, const std::vector<std::string>& names,
                                               std::string_view op) {
  std::vector<Column*> columns;
  columns.reserve(names.size());
  for (const std::string& name : names) {
    ASSIGN_OR_RETURN(Column * c, GetNumeric(table, name, op));
    columns.push_back(c);
  }
  return columns;
}

Result<Column*> GetFittedType(Table& table, std::string_view name, ColumnType fitted,
                              std::string_view op) {
  ASSIGN_OR_RETURN(Column * c, table.Get(name, op));
  if (c->type != fitted) {
    return InvalidArgumentError(fmt::format(
        "{}: column '{}' is {} here but was {} when the transform was fitted; give this input "
        "the training column types",
        op, name, ColumnTypeName(c->type), ColumnTypeName(fitted)));
  }
  return c;
}

std::vector<double> SortedTrainingValues(const Column& column, std::span<const size_t> rows) {
  std::vector<double> v;
  v.reserve(rows.size());
  for (size_t r : rows) {
    if (!column.is_valid(r)) continue;
    double x = column.AsDouble(r);
    if (!std::isnan(x)) v.push_back(x);
  }
  std::sort(v.begin(), v.end());
  return v;
}

double Quantile(std::span<const double> sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  if (lo + 1 >= sorted.size()) return sorted.back();
  const double t = pos - static_cast<double>(lo);
  const double a = sorted[lo];
  const double b = sorted[lo + 1];
  if (t == 0 || a == b) return a;
  // numpy's _lerp: interpolate from the nearer end, which keeps the result
  // within [a, b]. The shortcuts above differ from numpy only where a
  // neighbour is infinite (numpy: inf * 0 = NaN; here: the exact value).
  return t < 0.5 ? a + (b - a) * t : b - (b - a) * (1 - t);
}

Result<std::vector<double>> NumberList(const SpecReader& item, std::string_view key, size_t size) {
  if (!item.Has(key))
    return item.FieldError(key, fmt::format("required field '{}' is missing", key));
  const Json& v = item.json()[std::string(key)];
  std::string want = size == 0 ? "a list of numbers" : fmt::format("a list of {} numbers", size);
  if (!v.is_array() || (size != 0 && v.size() != size) || v.empty()) {
    return item.FieldError(key, fmt::format("expected {}, got {}", want, v.dump()));
  }
  std::vector<double> out;
  for (const Json& x : v) {
    if (!x.is_number() || !std::isfinite(x.get<double>())) {
      return item.FieldError(key, fmt::format("expected finite numbers, got {}", x.dump()));
    }
    out.push_back(x.get<double>());
  }
  return out;
}

Result<bool> FailOrNull(const SpecReader& item, std::string_view key) {
  const Json& j = item.json();
  if (j.is_object() && j.contains(key) && j[std::string(key)].is_null()) return true;
  ASSIGN_OR_RETURN(std::string policy, item.String(key, "fail"));
  if (policy != "fail" && policy != "null") {
    return item.FieldError(key, fmt::format("expected fail or null, got '{}'", policy));
  }
  return policy == "null";
}

Result<std::vector<ColumnType>> FittedTypes(const Json& fitted, size_t columns,
                                            std::string_view op) {
  ASSIGN_OR_RETURN(auto names, FittedField<std::vector<std::string>>(fitted, "types", op));
  if (names.size() != columns) {
    return InvalidArgumentError(
        fmt::format("{}: fitted \"types\" must have one entry per column", op));
  }
  std::vector<ColumnType> types;
  for (const std::string& name : names) {
    std::optional<ColumnType> t = ParseColumnType(name);
    if (!t || ColumnTypeName(*t) != name) {
      return InvalidArgumentError(
          fmt::format("{}: fitted type '{}' is not a column type", op, name));
    }
    types.push_back(*t);
  }
  return types;
}

std::vector<std::string> TypeNames(const std::vector<ColumnType>& types) {
  std::vector<std::string> names;
  for (ColumnType t : types) names.emplace_back(ColumnTypeName(t));
  return names;
}

}  // namespace citadel::data
