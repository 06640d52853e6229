#include "data/prep/dataset_export.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_map>

#include "base/system/files.h"
#include "base/text/utf8.h"
#include "data/ingest/number.h"
#include "formats/safetensors.h"

namespace citadel::data {
namespace {

using formats::BytesOf;
using formats::DType;

// Doubles at or beyond this magnitude round to ±infinity as float32 (halfway
// between FLT_MAX and 2^128); anything below rounds to a finite float.
constexpr double kFloat32Overflow = 0x1.ffffffp127;

}  // namespace

std::vector<std::string> OrderClasses(std::vector<std::string> distinct) {
  std::vector<std::pair<double, std::string>> numeric;
  numeric.reserve(distinct.size());
  for (const std::string& value : distinct) {
    std::optional<double> x = ParseNumber(value);
    if (!x.has_value()) {
      std::sort(distinct.begin(), distinct.end());
      return distinct;
    }
    numeric.emplace_back(*x, value);
  }
  // Ties ("1" and "1.0") fall back to byte order, keeping the order total.
  std::sort(numeric.begin(), numeric.end());
  std::vector<std::string> out;
  out.reserve(numeric.size());
  for (auto& entry : numeric) out.push_back(std::move(entry.second));
  return out;
}

Result<EncodedLabels> EncodeLabels(const Table& table) {
  ASSIGN_OR_RETURN(const Column* label, table.Get(table.label, "label"));
  EncodedLabels out;
  out.name = label->name;
  out.index.resize(table.num_rows());
  std::unordered_map<std::string, int64_t> first_seen;
  std::vector<std::string> distinct;
  for (size_t r = 0; r < table.num_rows(); ++r) {
    if (!label->is_valid(r)) {
      return InvalidArgumentError(
          fmt::format("{}: label column '{}' is empty; every row needs a label (add "
                      "{{ op: drop_missing, columns: [{}] }} under clean:)",
                      table.Where(r), label->name, label->name));
    }
    std::string text = label->CellText(r);
    auto [it, inserted] = first_seen.emplace(text, static_cast<int64_t>(distinct.size()));
    if (inserted) {
      if (!IsValidUtf8(text)) {
        return InvalidArgumentError(fmt::format(
            "{}: invalid UTF-8 in label column '{}'; label values become class names in "
            "schema.json, which is UTF-8: re-save the file as UTF-8 (for example with iconv -f "
            "latin1 -t utf-8)",
            table.Where(r), label->name));
      }
      distinct.push_back(text);
    }
    out.index[r] = it->second;
  }
  out.classes = OrderClasses(distinct);
  std::unordered_map<std::string, int64_t> final_index;
  for (size_t i = 0; i < out.classes.size(); ++i) {
    final_index.emplace(out.classes[i], static_cast<int64_t>(i));
  }
  std::vector<int64_t> remap(distinct.size());
  for (size_t i = 0; i < distinct.size(); ++i) remap[i] = final_index.at(distinct[i]);
  for (int64_t& l : out.index) l = remap[static_cast<size_t>(l)];
  return out;
}

Result<FeatureMatrix> ExtractFeatures(const Table& table) {
  FeatureMatrix m;
  std::vector<const Column*> columns;
  for (const Column& c : table.columns) {
    if (c.name == table.label) continue;
    if (!c.is_numeric()) {
      return InvalidArgumentError(fmt::format(
          "{}: column '{}' is still {} after the transforms; features must be numeric: encode it "
          "(one_hot, ordinal, hash_features, text), cast it, or drop it (op: drop)",
          table.source, c.name, ColumnTypeName(c.type)));
    }
    columns.push_back(&c);
    m.names.push_back(c.name);
    m.sources.push_back(c.sources);
  }
  if (columns.empty()) {
    return InvalidArgumentError(fmt::format(
        "{}: no feature column is left besides the label '{}'; a dataset needs at least one",
        table.source, table.label));
  }
  const size_t rows = table.num_rows();
  const size_t width = columns.size();
  m.values.resize(rows * width);
  for (size_t j = 0; j < width; ++j) {
    const Column& c = *columns[j];
    for (size_t r = 0; r < rows; ++r) {
      if (!c.is_valid(r)) {
        return InvalidArgumentError(fmt::format(
            "{}: column '{}' has {} missing value(s) after the transforms, the first in this row; "
            "impute it (op: impute) or drop such rows (clean: op: drop_missing)",
            table.Where(r), c.name, c.CountMissing()));
      }
      double x = c.AsDouble(r);
      if (!std::isfinite(x) || std::fabs(x) >= kFloat32Overflow) {
        return InvalidArgumentError(fmt::format(
            "{}: column '{}' holds {} after the transforms; features are stored as finite F32: "
            "impute NaN (op: impute), clip or winsorize extremes, or rescale the column (the "
            "original cell is '{}')",
            table.Where(r), c.name, std::isnan(x) ? "NaN" : fmt::format("{}", x),
            ShortenForMessage(c.CellText(r))));
      }
      m.values[r * width + j] = static_cast<float>(x);
    }
  }
  return m;
}

Result<PreparedSplit> ExportSplit(const FeatureMatrix& features, const EncodedLabels& labels,
                                  const Table& table, std::string role,
                                  std::span<const size_t> rows, const DatasetDescription& shared) {
  const size_t width = features.names.size();
  std::vector<float> values(rows.size() * width);
  std::vector<int64_t> label_index(rows.size());
  std::vector<int64_t> row_ids(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    std::copy_n(features.values.begin() + static_cast<ptrdiff_t>(rows[i] * width), width,
                values.begin() + static_cast<ptrdiff_t>(i * width));
    label_index[i] = labels.index[rows[i]];
    row_ids[i] = table.row_ids[rows[i]];
  }
  auto n = static_cast<int64_t>(rows.size());
  formats::SafetensorsWriter writer;
  RETURN_IF_ERROR(writer.Add("features", DType::kF32, {n, static_cast<int64_t>(width)},
                             BytesOf<float>(values)));
  RETURN_IF_ERROR(writer.Add("labels", DType::kI64, {n}, BytesOf<int64_t>(label_index)));
  RETURN_IF_ERROR(writer.Add("row_ids", DType::kI64, {n}, BytesOf<int64_t>(row_ids)));

  Json lineage = Json::object();
  for (size_t j = 0; j < width; ++j) lineage[features.names[j]] = features.sources[j];
  PreparedSplit split;
  split.safetensors = writer.Serialize();
  split.schema = Json{
      {"format", kDatasetFormat},
      {"split", role},
      {"rows", rows.size()},
      {"features", features.names},
      {"label", {{"name", labels.name}, {"classes", labels.classes}}},
      {"input", shared.input},
      {"preprocessing", shared.preprocessing},
      {"column_lineage", std::move(lineage)},
      {"source", shared.source},
  };
  split.role = std::move(role);
  return split;
}

Status WriteDatasetDir(const PreparedSplit& split, const std::filesystem::path& dir) {
  RETURN_IF_ERROR(CreateDirectories(dir));
  RETURN_IF_ERROR(WriteFileAtomic(dir / "data.safetensors", split.safetensors)
                      .WithContext(fmt::format("writing dataset split '{}'", split.role)));
  return WriteFileAtomic(dir / "schema.json", PrettyJson(split.schema))
      .WithContext(fmt::format("writing dataset split '{}'", split.role));
}

}  // namespace citadel::data
