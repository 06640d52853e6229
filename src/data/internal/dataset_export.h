// One split of a Frame as the dataset format of docs/formats/dataset.md:
// data.safetensors bytes plus the schema.json value.
#pragma once

#include <span>
#include <string>

#include "base/status.h"
#include "base/text/json.h"
#include "data/dataset_prep.h"
#include "data/internal/frame.h"

namespace citadel::data {

inline constexpr std::string_view kDatasetFormat = "citadel.dataset/v1";

struct SourceCounts {
  size_t rows = 0;                // data rows read from the file
  size_t duplicates_dropped = 0;  // by drop_duplicates
};

// Builds the split made of `rows` of `frame` (ascending). `preprocessing` is
// the list of fitted transforms, in order, as recorded in schema.json.
Result<PreparedSplit> ExportSplit(const Frame& frame, std::string role,
                                  std::span<const size_t> rows, const Json& preprocessing,
                                  const SourceCounts& source);

}  // namespace citadel::data
