#include "data/prep/dataset_export.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <optional>
#include <unordered_map>

#include "base/text/utf8.h"
#include "data/ingest/cells/number.h"
#include "formats/safetensors.h"

namespace citadel::data {
namespace {

using formats::BytesOf;
using formats::DType;

// Doubles at or beyond this magnitude round to ±infinity as float32 (halfway
// between FLT_MAX and 2^128); anything below rounds to a finite float.
constexpr double kFloat32Overflow = 0x1.ffffffp127;

// The common case, checked without a branch per cell (the loops vectorise):
// every cell present and, for floats, finite and within float32's range.
bool AllPresentAndFloat32(const Column& c) {
  const size_t n = c.valid.size();
  if (n > 0 && std::memchr(c.valid.data(), 0, n) != nullptr) return false;
  if (c.type != ColumnType::kFloat) return true;
  bool ok = true;
  // NaN compares false, so it fails the test like ±inf and overflow do.
  for (size_t r = 0; r < n; ++r) ok &= std::fabs(c.floats[r]) < kFloat32Overflow;
  return ok;
}

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
  std::vector<std::string> distinct;
  // Each distinct value is turned into text (and checked) once; rows are
  // keyed by their stored value, which for ints, bools, timestamps and
  // strings identifies the text exactly. Floats go by text ("-0" vs "0").
  auto first_sight = [&](size_t r) -> Result<int64_t> {
    std::string text = label->CellText(r);
    if (!IsValidUtf8(text)) {
      return InvalidArgumentError(fmt::format(
          "{}: invalid UTF-8 in label column '{}'; label values become class names in "
          "schema.json, which is UTF-8: re-save the file as UTF-8 (for example with iconv -f "
          "latin1 -t utf-8)",
          table.Where(r), label->name));
    }
    distinct.push_back(std::move(text));
    return static_cast<int64_t>(distinct.size() - 1);
  };
  std::unordered_map<int64_t, int64_t> by_int;
  std::unordered_map<std::string_view, int64_t> by_text;
  std::deque<std::string> float_texts;  // by_text's keys for floats (stable addresses)
  for (size_t r = 0; r < table.num_rows(); ++r) {
    if (!label->is_valid(r)) {
      return InvalidArgumentError(
          fmt::format("{}: label column '{}' is empty; every row needs a label (add "
                      "{{ op: drop_missing, columns: [{}] }} under clean:)",
                      table.Where(r), label->name, label->name));
    }
    int64_t* slot = nullptr;
    bool inserted = false;
    if (label->type == ColumnType::kString) {
      auto [it, added] = by_text.try_emplace(label->strings[r], 0);
      slot = &it->second, inserted = added;
    } else if (label->type == ColumnType::kFloat) {
      float_texts.push_back(label->CellText(r));
      auto [it, added] = by_text.try_emplace(float_texts.back(), 0);
      if (!added) float_texts.pop_back();
      slot = &it->second, inserted = added;
    } else {
      auto [it, added] = by_int.try_emplace(label->ints[r], 0);
      slot = &it->second, inserted = added;
    }
    if (inserted) {
      ASSIGN_OR_RETURN(*slot, first_sight(r));
    }
    out.index[r] = *slot;
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

Result<FeatureColumns> SelectFeatures(const Table& table) {
  FeatureColumns f;
  for (const Column& c : table.columns) {
    if (c.name == table.label) continue;
    if (!c.is_numeric()) {
      return InvalidArgumentError(fmt::format(
          "{}: column '{}' is still {} after the transforms; features must be numeric: encode it "
          "(one_hot, ordinal, hash_features, text), cast it, or drop it (op: drop)",
          table.source, c.name, ColumnTypeName(c.type)));
    }
    f.columns.push_back(&c);
    f.names.push_back(c.name);
    f.sources.push_back(c.sources);
  }
  if (f.columns.empty()) {
    return InvalidArgumentError(fmt::format(
        "{}: no feature column is left besides the label '{}'; a dataset needs at least one",
        table.source, table.label));
  }
  // Column by column (sequential reads); the first bad row of the first bad
  // column is the one reported.
  for (const Column* c : f.columns) {
    const bool is_float = c->type == ColumnType::kFloat;  // int64 always fits float32's range
    if (AllPresentAndFloat32(*c)) continue;
    for (size_t r = 0; r < c->valid.size(); ++r) {
      if (c->valid[r] == 0) {
        return InvalidArgumentError(fmt::format(
            "{}: column '{}' has {} missing value(s) after the transforms, the first in this row; "
            "impute it (op: impute) or drop such rows (clean: op: drop_missing)",
            table.Where(r), c->name, c->CountMissing()));
      }
      if (!is_float) continue;
      const double x = c->floats[r];
      if (std::isfinite(x) && std::fabs(x) < kFloat32Overflow) continue;
      return InvalidArgumentError(fmt::format(
          "{}: column '{}' holds {} after the transforms; features are stored as finite F32: "
          "impute NaN (op: impute), clip or winsorize extremes, or rescale the column (the "
          "original cell is '{}')",
          table.Where(r), c->name, std::isnan(x) ? "NaN" : fmt::format("{}", x),
          ShortenForMessage(c->CellText(r))));
    }
  }
  return f;
}

void GatherFeatures(const FeatureColumns& features, std::span<const size_t> rows,
                    std::span<float> out) {
  const size_t width = features.columns.size();
  // Blocks of rows whose output (block × width floats) stays in L1/L2 while
  // each column is read sequentially into it.
  constexpr size_t kBlock = 256;
  for (size_t begin = 0; begin < rows.size(); begin += kBlock) {
    const size_t end = std::min(rows.size(), begin + kBlock);
    for (size_t j = 0; j < width; ++j) {
      const Column& c = *features.columns[j];
      float* dst = out.data() + begin * width + j;
      if (c.type == ColumnType::kFloat) {
        const double* src = c.floats.data();
        for (size_t i = begin; i < end; ++i, dst += width) *dst = static_cast<float>(src[rows[i]]);
      } else {
        const int64_t* src = c.ints.data();
        for (size_t i = begin; i < end; ++i, dst += width) *dst = static_cast<float>(src[rows[i]]);
      }
    }
  }
}

Result<FeatureMatrix> ExtractFeatures(const Table& table) {
  ASSIGN_OR_RETURN(FeatureColumns f, SelectFeatures(table));
  std::vector<size_t> all(table.num_rows());
  for (size_t r = 0; r < all.size(); ++r) all[r] = r;
  FeatureMatrix m;
  m.values.resize(all.size() * f.columns.size());
  GatherFeatures(f, all, m.values);
  m.names = std::move(f.names);
  m.sources = std::move(f.sources);
  return m;
}

Result<std::shared_ptr<const ExportSource>> ExportSource::Make(Table table, EncodedLabels labels) {
  auto source = std::make_shared<ExportSource>();
  source->table = std::move(table);
  source->labels = std::move(labels);
  // Selected after the move: the pointers go into the table's final place.
  ASSIGN_OR_RETURN(source->features, SelectFeatures(source->table));
  return std::shared_ptr<const ExportSource>(std::move(source));
}

Result<PreparedSplit> ExportSplit(std::shared_ptr<const ExportSource> source, std::string role,
                                  std::vector<size_t> rows, const DatasetDescription& shared) {
  const FeatureColumns& features = source->features;
  const size_t width = features.names.size();
  auto n = static_cast<int64_t>(rows.size());
  auto chosen = std::make_shared<const std::vector<size_t>>(std::move(rows));
  // Each filler writes the rows [first, first + bytes / row size) of the
  // split; it holds the source and the row list alive.
  auto rows_from = [chosen](int64_t first, size_t count) {
    return std::span<const size_t>(*chosen).subspan(static_cast<size_t>(first), count);
  };
  PreparedSplit split;
  RETURN_IF_ERROR(split.data.AddFilled(
      "features", DType::kF32, {n, static_cast<int64_t>(width)},
      [source, rows_from, width](int64_t first, std::span<char> bytes) {
        // "features" is the first tensor by name, so its bytes start right
        // after the 8-byte-aligned header: float-aligned in any piece.
        const size_t count = bytes.size() / (width * sizeof(float));
        GatherFeatures(source->features, rows_from(first, count),
                       {reinterpret_cast<float*>(bytes.data()), count * width});
      }));
  auto add_i64 = [&](const char* name, auto value_of_row) {
    return split.data.AddFilled(
        name, DType::kI64, {n},
        [source, rows_from, value_of_row](int64_t first, std::span<char> bytes) {
          // Copied, not stored through an int64_t*: in a whole-file buffer
          // these tensors follow the float features and may sit 4 bytes
          // off an 8-byte boundary.
          const size_t count = bytes.size() / sizeof(int64_t);
          std::span<const size_t> r = rows_from(first, count);
          for (size_t i = 0; i < count; ++i) {
            const int64_t value = value_of_row(*source, r[i]);
            std::memcpy(bytes.data() + i * sizeof value, &value, sizeof value);
          }
        });
  };
  RETURN_IF_ERROR(
      add_i64("labels", [](const ExportSource& s, size_t row) { return s.labels.index[row]; }));
  RETURN_IF_ERROR(
      add_i64("row_ids", [](const ExportSource& s, size_t row) { return s.table.row_ids[row]; }));

  Json lineage = Json::object();
  for (size_t j = 0; j < width; ++j) lineage[features.names[j]] = features.sources[j];
  split.schema = Json{
      {"format", kDatasetFormat},
      {"split", role},
      {"rows", n},
      {"features", features.names},
      {"label", {{"name", source->labels.name}, {"classes", source->labels.classes}}},
      {"input", shared.input},
      {"preprocessing", shared.preprocessing},
      {"column_lineage", std::move(lineage)},
      {"source", shared.source},
  };
  split.role = std::move(role);
  return split;
}

std::vector<store::ArtifactFile> DatasetFiles(PreparedSplit split) {
  std::vector<store::ArtifactFile> files;
  files.push_back({std::string(kDatasetSchemaFile), PrettyJson(split.schema)});
  auto shared = std::make_shared<const PreparedSplit>(std::move(split));
  files.push_back(
      {std::string(kDatasetDataFile), {}, [shared](const store::BlobStore::ByteSink& sink) {
         return shared->data.SerializeTo(sink);
       }});
  return files;
}

}  // namespace citadel::data
