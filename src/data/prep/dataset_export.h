// The dataset directory format (docs/formats/dataset.md, citadel.dataset/v2):
// turning the transformed Table into data.safetensors + schema.json per split.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "data/table/table.h"
#include "formats/safetensors.h"
#include "store/artifact_files.h"

namespace citadel::data {

inline constexpr std::string_view kDatasetFormat = "citadel.dataset/v2";

// The label column as class indices: classes sorted numerically when every
// value is a number, otherwise byte-wise. Errors (InvalidArgument, naming
// file:line): a missing label, a label that is not valid UTF-8.
struct EncodedLabels {
  std::string name;
  std::vector<std::string> classes;
  std::vector<int64_t> index;  // per table row
};
Result<EncodedLabels> EncodeLabels(const Table& table);

// Class order for the distinct label values (see EncodeLabels).
std::vector<std::string> OrderClasses(std::vector<std::string> distinct);

// The feature columns of a transformed table: every column but the label,
// which must all be numeric, present and finite, and fit in float32. Errors
// name the column, the first offending row (file:line) and the transform to
// add. Points into `table`, which must outlive it and stay unchanged.
struct FeatureColumns {
  std::vector<std::string> names;
  std::vector<std::vector<std::string>> sources;  // per feature: input columns
  std::vector<const Column*> columns;
};
Result<FeatureColumns> SelectFeatures(const Table& table);

// Writes rows.size() × features row-major float32 values into `out` (that
// size): rows[i]'s features at out[i * width …].
void GatherFeatures(const FeatureColumns& features, std::span<const size_t> rows,
                    std::span<float> out);

// Every row of SelectFeatures(table), gathered.
struct FeatureMatrix {
  std::vector<std::string> names;
  std::vector<std::vector<std::string>> sources;  // per feature: input columns
  std::vector<float> values;                      // rows × names, row-major
};
Result<FeatureMatrix> ExtractFeatures(const Table& table);

// What the splits of one step are exported from, shared by their writers:
// the transformed table, its feature columns and the encoded labels. A
// split's bytes are produced when it is stored, after PrepareDataset has
// returned, so this outlives the step's own variables.
struct ExportSource {
  ExportSource() = default;
  // `features` points into `table`: a copy or move would dangle.
  ExportSource(const ExportSource&) = delete;
  ExportSource& operator=(const ExportSource&) = delete;

  Table table;
  FeatureColumns features;  // points into `table`
  EncodedLabels labels;

  // Takes the table, selects its features (SelectFeatures' errors) and
  // keeps `labels`.
  static Result<std::shared_ptr<const ExportSource>> Make(Table table, EncodedLabels labels);
};

inline constexpr std::string_view kDatasetDataFile = "data.safetensors";
inline constexpr std::string_view kDatasetSchemaFile = "schema.json";

struct PreparedSplit {
  std::string role;  // "train", "test", … or "data"
  // data.safetensors: features F32 [rows, f], labels I64 [rows], row_ids I64
  // [rows]. Its tensors are gathered from the ExportSource as they are
  // serialised — streamed (SerializeTo), a split needs no buffer of its size.
  formats::SafetensorsWriter data;
  Json schema;  // schema.json
};

// What every split of one step shares in its schema.json.
struct DatasetDescription {
  Json input;          // {"columns": [{"name","type"}], "label"}: what serving receives
  Json preprocessing;  // fitted transforms, in order (ColumnTransform::ToJson)
  Json source;         // {"rows", "clean": [{"op", "removed"}]}
};

// The split made of `rows` (ascending indices into source->table).
Result<PreparedSplit> ExportSplit(std::shared_ptr<const ExportSource> source, std::string role,
                                  std::vector<size_t> rows, const DatasetDescription& shared);

// The files of the split's dataset artifact: data.safetensors, streamed
// (gathered, hashed and written a MiB at a time when stored), and
// schema.json.
std::vector<store::ArtifactFile> DatasetFiles(PreparedSplit split);

}  // namespace citadel::data
