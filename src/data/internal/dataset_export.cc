#include "data/internal/dataset_export.h"

#include <fmt/format.h>

#include <vector>

#include "base/system/files.h"
#include "formats/safetensors.h"

namespace citadel::data {

using formats::BytesOf;
using formats::DType;

Result<PreparedSplit> ExportSplit(const Frame& frame, std::string role,
                                  std::span<const size_t> rows, const Json& preprocessing,
                                  const SourceCounts& source) {
  size_t width = frame.num_features();
  std::vector<float> features;
  features.reserve(rows.size() * width);
  std::vector<int64_t> labels;
  std::vector<int64_t> row_ids;
  labels.reserve(rows.size());
  row_ids.reserve(rows.size());
  for (size_t r : rows) {
    const double* x = frame.row(r);
    for (size_t c = 0; c < width; ++c) features.push_back(static_cast<float>(x[c]));
    labels.push_back(frame.labels[r]);
    row_ids.push_back(frame.row_ids[r]);
  }
  auto n = static_cast<int64_t>(rows.size());
  formats::SafetensorsWriter writer;
  RETURN_IF_ERROR(writer.Add("features", DType::kF32, {n, static_cast<int64_t>(width)},
                             BytesOf<float>(features)));
  RETURN_IF_ERROR(writer.Add("labels", DType::kI64, {n}, BytesOf<int64_t>(labels)));
  RETURN_IF_ERROR(writer.Add("row_ids", DType::kI64, {n}, BytesOf<int64_t>(row_ids)));

  PreparedSplit split;
  split.safetensors = writer.Serialize();
  split.schema = Json{
      {"format", kDatasetFormat},
      {"split", role},
      {"rows", rows.size()},
      {"features", frame.feature_names},
      {"label", {{"name", frame.label_name}, {"classes", frame.classes}}},
      {"preprocessing", preprocessing},
      {"source", {{"rows", source.rows}, {"duplicates_dropped", source.duplicates_dropped}}},
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
