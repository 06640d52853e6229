// The `kind: process` step, first cut: CSV → numeric features + class label →
// row-level cleaning → seeded (stratified) split → fitted transforms → one
// dataset directory per split.
//
// Fitted transforms (standardize) learn their parameters on the split named
// exactly "train" and apply them verbatim to every split, so no test-set
// statistic leaks into training. With several splits and none named "train"
// that is an error (split names are sorted, so any fallback could pick
// "test"); with one split, or none (one "data" output), they fit on it all.
// Every split must receive at least one row.
// Row-level operations (drop_duplicates) run before the split so a duplicate
// can never sit on both sides of it.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "base/text/spec_reader.h"
#include "data/ingest/csv_reader.h"  // CsvOptions

namespace citadel::data {

struct TransformSpec {
  std::string op;                    // "drop_duplicates" | "standardize"
  bool all_numeric = true;           // standardize: every feature column
  std::vector<std::string> columns;  // standardize: these columns (when !all_numeric)
};

struct SplitSpec {
  std::vector<std::pair<std::string, double>> fractions;  // in spec order; sum to 1
  uint64_t seed = 0;
  bool stratify = false;  // by the label column
};

struct ProcessSpec {
  std::filesystem::path csv;  // resolved by the caller (relative to the spec file)
  CsvOptions csv_options;
  std::string label;  // column name, or an index as text ("-1" = last column)
  std::vector<TransformSpec> transforms;
  SplitSpec split;  // empty fractions → one output named "data"
};

// Reads and validates the step mapping (fields: name, kind, input, transforms,
// split, plus any in `extra_known` that the caller handles). `spec_dir` is
// the directory of the spec file, for resolving input.csv. Split names come
// out sorted by name: a YAML mapping's order is not kept in Json, and the
// step's cache key is a digest of key-sorted JSON, so the split must not
// depend on the order the names were written in. With a standardize transform
// and several splits, one split must be named "train" (error at the split's line).
Result<ProcessSpec> ParseProcessSpec(const SpecReader& step, const std::filesystem::path& spec_dir,
                                     std::initializer_list<std::string_view> extra_known);

struct PreparedSplit {
  std::string role;  // "train", "test", … or "data"
  // data.safetensors: "features" F32 [rows, features], "labels" I64 [rows]
  // (class index), "row_ids" I64 [rows] (0-based data row in the source file).
  std::string safetensors;
  // schema.json: see docs/formats/dataset.md.
  Json schema;
};

struct PrepareResult {
  std::vector<PreparedSplit> splits;  // in spec order
  Json stats;  // {"source_rows", "duplicates_dropped", "features", "classes"}
};

// Pure function of (spec, file content): the same input gives bit-identical
// output. Errors name the file, line and column of bad data; a split that
// would get no rows, and a fitted transform whose mean or scale is not
// finite, are InvalidArgument too.
Result<PrepareResult> PrepareDataset(const ProcessSpec& spec);

// Writes data.safetensors and schema.json into `dir` (created).
Status WriteDatasetDir(const PreparedSplit& split, const std::filesystem::path& dir);

}  // namespace citadel::data
