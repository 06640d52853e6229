// Internal to the numeric transform ops (src/data/transform/numeric): the
// registration hook of each file of ops, and the few pieces several of them
// share — numeric column checks at Fit and Apply, cell error messages,
// numpy-compatible quantiles of the training values and the reading of
// stored "fitted" fields.
#pragma once

#include <fmt/format.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "base/text/spec_reader.h"
#include "data/table/table.h"
#include "data/transform/column_selection.h"
#include "data/transform/transform.h"

namespace citadel::data {

void AddScalerOps(std::vector<TransformOp>& ops);     // scalers.cc: standardize, min_max, robust
void AddImputeOps(std::vector<TransformOp>& ops);     // impute.cc: impute
void AddClipOps(std::vector<TransformOp>& ops);       // clip.cc: clip, winsorize
void AddCastOps(std::vector<TransformOp>& ops);       // cast.cc: cast
void AddLog1pOps(std::vector<TransformOp>& ops);      // log1p.cc: log1p
void AddBucketizeOps(std::vector<TransformOp>& ops);  // bucketize.cc: bucketize
void AddPixelOps(std::vector<TransformOp>& ops);      // pixels.cc: scale_pixels

// `text` quoted for a message, cut to about 40 bytes (on a UTF-8 boundary)
// so that a 1 MB cell cannot flood a log: 'abc', 'aaaa…' .
std::string QuotedValue(std::string_view text);

// InvalidArgument "<table.Where(row)>: <op>: column '<name>' value '<cell>':
// <problem>". `problem` should say what to do about it.
Status CellError(const Table& table, size_t row, std::string_view op, const Column& column,
                 std::string_view problem);

// At Fit: resolves `selection`; every column must be numeric (int, float,
// bool). Errors name the column and its type.
Result<std::vector<std::string>> ResolveNumeric(const ColumnSelection& selection,
                                                const Table& table, std::string_view op);

// At Apply: the column `name`, which must exist and be numeric. The error
// names the column and its type here, so a serving request with a string
// where training had a number is refused rather than misread.
Result<Column*> GetNumeric(Table& table, std::string_view name, std::string_view op);

// GetNumeric for every name, all checked before the caller changes any, so
// that a refused input is left as it came.
Result<std::vector<Column*>> GetNumericColumns(Table& table, const std::vector<std::string>& names,
                                               std::string_view op);

// At Apply: the column `name`, which must exist and have exactly the type it
// had when the transform was fitted.
Result<Column*> GetFittedType(Table& table, std::string_view name, ColumnType fitted,
                              std::string_view op);

// Present, non-NaN values of a numeric or timestamp column on `rows`, sorted
// ascending. ±inf are kept: they are values, and a quantile that reaches one
// is reported by the caller as a non-finite statistic.
std::vector<double> SortedTrainingValues(const Column& column, std::span<const size_t> rows);

// numpy.quantile(sorted, q) with numpy's default ("linear") method:
// position q·(n−1), linear interpolation between its two neighbours.
// Preconditions: `sorted` non-empty, 0 ≤ q ≤ 1, and ascending — or arranged
// by SelectForQuantiles (order_statistics.h) for this q, which places the
// only two elements read.
double Quantile(std::span<const double> sorted, double q);

// The spec field `key` as a list of finite numbers; `size` elements exactly
// unless `size` is 0 (then at least one). Errors name the field.
Result<std::vector<double>> NumberList(const SpecReader& item, std::string_view key, size_t size);

// A `fail | null` policy field (absent = fail); true for null. YAML reads a
// bare `null` as the null value, which counts as null here too.
Result<bool> FailOrNull(const SpecReader& item, std::string_view key);

// fitted[key] converted to T; InvalidArgument naming op and key otherwise.
template <typename T>
Result<T> FittedField(const Json& fitted, std::string_view key, std::string_view op) {
  if (!fitted.is_object() || !fitted.contains(key)) {
    return InvalidArgumentError(fmt::format("{}: fitted parameters lack \"{}\"", op, key));
  }
  try {
    return fitted[std::string(key)].get<T>();
  } catch (const Json::exception& e) {
    return InvalidArgumentError(fmt::format("{}: fitted \"{}\": {}", op, key, e.what()));
  }
}

// fitted["types"] as column types, one per fitted column.
Result<std::vector<ColumnType>> FittedTypes(const Json& fitted, size_t columns,
                                            std::string_view op);
// The names of `types`, for ToJson.
std::vector<std::string> TypeNames(const std::vector<ColumnType>& types);

}  // namespace citadel::data
