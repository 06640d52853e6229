// Seeded synthetic datasets for src/ml's tests: Gaussian blobs in four
// dimensions, one blob per class (x, y, z), in citadel.dataset/v2 form.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "base/text/yaml.h"
#include "formats/safetensors.h"
#include "ml/dataset_view.h"
#include "ml/training/trainer.h"

namespace citadel::ml::testing {

struct BlobOptions {
  double spread = 0.5;       // standard deviation around each centre
  double scale = 1.0;        // multiplies every feature
  double label_noise = 0.0;  // fraction of labels replaced by a random class
};

// A citadel.dataset/v2 view of row-major features `x` (one column per
// entry of `features`) and class indices `y`; row ids 0…rows-1.
inline DatasetView DatasetOf(const std::string& name, const std::vector<float>& x,
                             const std::vector<int64_t>& y,
                             const std::vector<std::string>& features, const std::string& label,
                             const std::vector<std::string>& classes) {
  const int64_t rows = static_cast<int64_t>(y.size());
  const int64_t width = static_cast<int64_t>(features.size());
  std::vector<int64_t> ids(y.size());
  for (int64_t i = 0; i < rows; ++i) ids[static_cast<size_t>(i)] = i;
  formats::SafetensorsWriter w;
  EXPECT_TRUE(
      w.Add("features", formats::DType::kF32, {rows, width}, formats::BytesOf<float>(x)).ok());
  EXPECT_TRUE(w.Add("labels", formats::DType::kI64, {rows}, formats::BytesOf<int64_t>(y)).ok());
  EXPECT_TRUE(w.Add("row_ids", formats::DType::kI64, {rows}, formats::BytesOf<int64_t>(ids)).ok());
  DatasetView v;
  v.name = name;
  v.safetensors = w.Serialize();
  v.schema = {{"format", "citadel.dataset/v2"},
              {"features", features},
              {"label", {{"name", label}, {"classes", classes}}},
              {"preprocessing", Json::array()}};
  return v;
}

// One row per entry of `labels` (each 0, 1 or 2), drawn around its class's
// centre. Label noise uses its own generator, so the features do not depend
// on it.
inline DatasetView BlobsWithLabels(const std::vector<int64_t>& labels, uint64_t seed,
                                   const BlobOptions& options = {}) {
  std::mt19937_64 rng(seed);
  std::mt19937_64 noise_rng(seed + 1);
  std::normal_distribution<double> noise(0.0, options.spread);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  const double centers[3][4] = {{2, 0, 0, 1}, {0, 2, 0, -1}, {0, 0, 2, 0}};
  const int64_t rows = static_cast<int64_t>(labels.size());
  std::vector<float> x;
  std::vector<int64_t> y;
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t c = labels[static_cast<size_t>(i)];
    for (int j = 0; j < 4; ++j)
      x.push_back(static_cast<float>((centers[c][j] + noise(rng)) * options.scale));
    y.push_back(c);
    if (options.label_noise > 0 && coin(noise_rng) < options.label_noise) {
      y.back() = static_cast<int64_t>(noise_rng() % 3);
    }
  }
  return DatasetOf("blobs", x, y, {"a", "b", "c", "d"}, "kind", {"x", "y", "z"});
}

// `rows` rows cycling through the three classes.
inline DatasetView Blobs(int rows, uint64_t seed, double spread = 0.5, double scale = 1.0) {
  std::vector<int64_t> labels;
  for (int i = 0; i < rows; ++i) labels.push_back(i % 3);
  BlobOptions options;
  options.spread = spread;
  options.scale = scale;
  return BlobsWithLabels(labels, seed, options);
}

// `counts[c]` rows of class c, interleaved in a fixed order.
inline DatasetView BlobsWithCounts(const std::vector<int>& counts, uint64_t seed,
                                   const BlobOptions& options = {}) {
  std::vector<int64_t> labels;
  for (int i = 0;; ++i) {
    bool any = false;
    for (size_t c = 0; c < counts.size(); ++c) {
      if (i < counts[c]) {
        labels.push_back(static_cast<int64_t>(c));
        any = true;
      }
    }
    if (!any) break;
  }
  return BlobsWithLabels(labels, seed, options);
}

// A tensor of a dataset or model file, copied out (F32 or I64 by T).
template <typename T>
std::vector<T> TensorValues(const std::string& safetensors, const std::string& name) {
  auto file = formats::SafetensorsFile::Parse(safetensors, "test");
  EXPECT_TRUE(file.ok());
  if (!file.ok()) return {};
  auto view = file->Get(name);
  EXPECT_TRUE(view.ok()) << name;
  if (!view.ok()) return {};
  std::vector<T> out((*view)->data.size() / sizeof(T));
  std::memcpy(out.data(), (*view)->data.data(), out.size() * sizeof(T));
  return out;
}

// A train step whose model section is `model` (YAML flow syntax), parsed as
// a pipeline file "p.yaml" would be: errors name p.yaml:4.
inline Result<TrainSpec> ParseModel(const std::string& model) {
  auto doc =
      ParseYaml("steps:\n  - name: t\n    kind: train\n    model: " + model + "\n", "p.yaml");
  if (!doc.ok()) return doc.status();
  return ParseTrainSpec(SpecReader(*doc, "/steps/0"), {});
}

// Each model section of `cases` ({model, expected}) is refused with an error
// that holds `expected` (the field) and names the model's line, p.yaml:4.
inline void ExpectModelsRefused(const std::vector<std::pair<std::string, std::string>>& cases) {
  for (const auto& [model, expected] : cases) {
    auto spec = ParseModel(model);
    ASSERT_FALSE(spec.ok()) << model;
    EXPECT_NE(spec.status().message().find(expected), std::string::npos)
        << model << " → " << spec.status().ToString();
    EXPECT_NE(spec.status().message().find("p.yaml:4"), std::string::npos)
        << spec.status().ToString();
  }
}

// The serialized checkpoint a run of `spec` on `data` takes after optimizer
// step `step` (empty if it never gets there).
inline std::string CheckpointAtStep(const TrainSpec& spec, const DatasetView& data, int64_t step) {
  std::string bytes;
  TrainHooks hooks;
  hooks.checkpoint.every_steps = 1;
  hooks.on_checkpoint = [&](std::unique_ptr<CheckpointSnapshot> snap, bool) -> Status {
    if (snap->step() != step) return Status::Ok();
    ASSIGN_OR_RETURN(bytes, snap->Serialize());
    return Status::Ok();
  };
  EXPECT_TRUE(Train(spec, data, nullptr, hooks).ok());
  return bytes;
}

// An epoch callback that appends every epoch's metrics to `out`.
inline EpochCallback RecordEpochs(std::vector<EpochMetrics>& out) {
  return [&out](const EpochMetrics& m) {
    out.push_back(m);
    return Status::Ok();
  };
}

}  // namespace citadel::ml::testing
