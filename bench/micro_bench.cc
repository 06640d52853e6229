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
#include "ml/kernels/mahalanobis_kernels.h"
#include "ml/kernels/max_pool.h"
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

// Max pooling, 2×2, in a forward pass of the Fashion CNN (examples/fashion):
// its first pool over `images` images of 16 planes of 28×28, with the
// argmax training records when `argmax` is 1, on the variant with index
// `variant` in MaxPoolVariants() (0 = the one chosen). Items = images.
void BM_MaxPool2(benchmark::State& state) {
  const int64_t images = state.range(0);
  const bool with_argmax = state.range(1) != 0;
  const auto variant = static_cast<size_t>(state.range(2));
  const std::vector<const char*> variants = ml::internal::MaxPoolVariants();
  if (variant >= variants.size()) {
    state.SkipWithError("this variant does not run on this machine");
    return;
  }
  const int64_t planes = 16 * images;
  std::vector<float> in(static_cast<size_t>(planes * 28 * 28));
  uint32_t seed = 7;
  for (float& v : in) {
    seed = seed * 1664525u + 1013904223u;
    v = static_cast<float>(seed >> 8) / 16777216.0f - 0.5f;
  }
  std::vector<float> out(static_cast<size_t>(planes * 14 * 14));
  std::vector<int32_t> argmax(with_argmax ? out.size() : 0);
  for (auto _ : state) {
    ml::internal::MaxPoolPlanesWith(variants[variant], in.data(), planes, 28, 28, 2, out.data(),
                                    with_argmax ? argmax.data() : nullptr);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * images);
  state.SetLabel(variants[variant]);
}
BENCHMARK(BM_MaxPool2)
    ->ArgNames({"images", "argmax", "variant"})
    ->ArgsProduct({{1, 32}, {0, 1}, {0, 1}})
    ->Unit(benchmark::kMicrosecond);

// The out-of-distribution detector's whitening (its cost per served row):
// a 784-feature factor (a 28×28 image's), `count` rows solved together, on
// the variant with index `variant` in SolveLowerVariants() (0 = the one
// serving uses), with the factor in cache or (`cold`) evicted first, as a
// server's forward passes leave it. Items = rows.
void BM_OodWhiten(benchmark::State& state) {
  const auto variant = static_cast<size_t>(state.range(0));
  const int64_t count = state.range(1);
  const std::vector<const char*> variants = ml::internal::SolveLowerVariants();
  if (variant >= variants.size()) {
    state.SkipWithError("this variant does not run on this machine");
    return;
  }
  constexpr int64_t kDims = 784;
  std::vector<double> lower(static_cast<size_t>(kDims * kDims), 0.0);
  uint64_t seed = 42;
  const auto next = [&] {  // a 64-bit LCG's top bits, in [-0.05, 0.05)
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(seed >> 11) / 9007199254740992.0 * 0.1 - 0.05;
  };
  for (int64_t i = 0; i < kDims; ++i) {
    for (int64_t j = 0; j < i; ++j) lower[static_cast<size_t>(i * kDims + j)] = next();
    lower[static_cast<size_t>(i * kDims + i)] = 1.0;
  }
  const ml::internal::PackedFactor factor(lower.data(), kDims, kDims);
  const int64_t stride = ml::internal::PaddedDims(kDims);
  std::vector<double> rows(static_cast<size_t>(count * stride), 0.0);
  for (int64_t r = 0; r < count; ++r) {
    for (int64_t i = 0; i < kDims; ++i) rows[static_cast<size_t>(r * stride + i)] = next();
  }
  // cold: every pass first writes 64 MB elsewhere, as a server's forward
  // passes do between two calls: the factor comes from memory, not L2/L3.
  const bool cold = state.range(2) != 0;
  std::vector<char> evict(cold ? 64 << 20 : 0);
  std::vector<double> z;
  for (auto _ : state) {
    if (cold) {
      state.PauseTiming();
      std::fill(evict.begin(), evict.end(), static_cast<char>(evict[0] + 1));
      benchmark::ClobberMemory();
      state.ResumeTiming();
    }
    z = rows;
    ml::internal::SolveLowerWith(variants[variant], factor, z.data(), count);
    benchmark::DoNotOptimize(z.data());
  }
  state.SetLabel(variants[variant]);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * count);
}
BENCHMARK(BM_OodWhiten)
    ->ArgNames({"variant", "rows", "cold"})
    ->ArgsProduct({{0, 1}, {1, 2, 4, 16, 32}, {0}})
    ->Unit(benchmark::kMicrosecond);
// Cold: a fixed count of passes, each after its 64 MB write (a few ms,
// untimed, that would otherwise make the run minutes long).
BENCHMARK(BM_OodWhiten)
    ->ArgNames({"variant", "rows", "cold"})
    ->ArgsProduct({{0}, {1, 4, 16, 32}, {1}})
    ->Iterations(300)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace citadel

BENCHMARK_MAIN();
