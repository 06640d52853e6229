// Micro-benchmarks of the foundation's hot paths (`make bench`).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>

#include "base/ids.h"
#include "base/system/files.h"
#include "base/text/yaml.h"
#include "catalog/catalog.h"
#include "crypto/sha256.h"
#include "data/dataset_prep.h"
#include "store/blob_store.h"

namespace citadel {
namespace {

namespace fs = std::filesystem;

fs::path BenchDir(const char* name) {
  fs::path dir = fs::temp_directory_path() /
                 (std::string("citadel_bench_") + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string Bytes(size_t n) {
  std::string data(n, '\0');
  for (size_t i = 0; i < n; ++i) data[i] = static_cast<char>((i * 2654435761u) >> 13);
  return data;
}

void BM_Sha256(benchmark::State& state) {
  std::string data = Bytes(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(crypto::Sha256::Of(data));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Sha256)->Arg(4 << 10)->Arg(1 << 20)->Arg(64 << 20);

// Put of new content: hash + write + fsync + rename (the durable path).
void BM_BlobPutNew(benchmark::State& state) {
  fs::path dir = BenchDir("blobs");
  auto store = store::BlobStore::Open(dir);
  std::string data = Bytes(static_cast<size_t>(state.range(0)));
  uint64_t counter = 0;
  for (auto _ : state) {
    std::memcpy(data.data(), &counter, sizeof(counter));  // new content every time
    ++counter;
    benchmark::DoNotOptimize(store->Put(data));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
  fs::remove_all(dir);
}
BENCHMARK(BM_BlobPutNew)->Arg(64 << 10)->Arg(8 << 20)->UseRealTime();

// Verified read: read + re-hash.
void BM_BlobGetVerified(benchmark::State& state) {
  fs::path dir = BenchDir("get");
  auto store = store::BlobStore::Open(dir);
  auto digest = store->Put(Bytes(static_cast<size_t>(state.range(0))));
  for (auto _ : state) benchmark::DoNotOptimize(store->Get(*digest));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
  fs::remove_all(dir);
}
BENCHMARK(BM_BlobGetVerified)->Arg(8 << 20)->UseRealTime();

// One batch of per-epoch metrics in one transaction.
void BM_CatalogMetricBatch(benchmark::State& state) {
  fs::path dir = BenchDir("catalog");
  auto catalog = catalog::Catalog::Open(dir / "catalog.db");
  catalog::RunRecord run;
  run.id = NewUuidV7();
  run.pipeline = run.step = run.kind = "bench";
  (void)(*catalog)->CreateRun(run);
  std::vector<catalog::MetricPoint> points;
  for (int i = 0; i < state.range(0); ++i) points.push_back({"loss", i, 0.5, 0});
  for (auto _ : state) benchmark::DoNotOptimize((*catalog)->AddMetrics(run.id, points));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
  fs::remove_all(dir);
}
BENCHMARK(BM_CatalogMetricBatch)->Arg(1)->Arg(1000)->UseRealTime();

// The digits process step: gzip CSV → drop_duplicates → split → standardize →
// safetensors bytes (serialised in memory; the blob store is not included).
void BM_PrepareDigits(benchmark::State& state) {
  auto doc = ParseYaml(
      "input: { csv: examples/digits/data/digits.csv.gz, header: false, label: -1 }\n"
      "clean: [ { op: drop_duplicates } ]\n"
      "split: { train: 0.8, test: 0.2, seed: 7, stratify: true }\n"
      "transforms: [ { op: standardize } ]\n"
      "profile: false\n",
      "bench.yaml");
  if (!doc.ok()) state.SkipWithError(doc.status().ToString().c_str());
  for (auto _ : state) {
    // Parsed per iteration: PrepareDataset fits the spec's transforms in place.
    auto spec = data::ParseProcessSpec(SpecReader(*doc, ""), fs::current_path(), {}, {});
    if (!spec.ok()) {
      state.SkipWithError(spec.status().ToString().c_str());
      break;
    }
    data::PrepareReports reports;
    auto result = data::PrepareDataset(*spec, {}, reports);
    if (!result.ok()) {
      state.SkipWithError(result.status().ToString().c_str());
      break;
    }
    // The splits' bytes are gathered as they are serialised (when a step
    // stores them): part of the work measured here.
    for (const data::PreparedSplit& split : result->splits) {
      std::string bytes = split.data.Serialize();
      benchmark::DoNotOptimize(bytes);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 1797);
}
BENCHMARK(BM_PrepareDigits)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace citadel

BENCHMARK_MAIN();
