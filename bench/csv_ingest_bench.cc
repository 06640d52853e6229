// Numeric CSV ingest throughput: the data engine's CSV reader with type
// inference on a seeded all-float file, timed two ways — from the file
// (data::ReadTable: read + parse, the page cache warm) and from text already
// in memory (data::ParseCsvTable: parse only, no I/O) — on one thread, and
// again on every CPU the process may use (the chunked parallel parse). A plain main()
// rather than Google Benchmark because bench/compare/csv_ingest_vs_pandas.sh
// needs the generated file on disk for pandas to read the same bytes.
//
//   csv_ingest_bench generate OUT.csv [ROWS] [COLS] [SEED]   # writes the file
//   csv_ingest_bench parse FILE.csv [REPS]                   # prints the medians
//
// `parse` reads any CSV (bench/compare/data_pipeline_vs_pandas.sh times the
// ingest of its customers file with it, STAGES=1).
//
// `parse` prints one line per measurement, "name wall_s MB/s cpu_s MB/s"
// (medians; MB = 10^6 bytes of CSV text; CPU time of all threads); the script
// reads them. ReadTable and ParseCsvTable are one thread; with N > 1 usable
// CPUs, ReadTable_Nthreads and ParseCsvTable_Nthreads follow.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "base/random.h"
#include "data/ingest/input_spec.h"

#if defined(__linux__)
#include <sched.h>
#endif

namespace citadel {
namespace {

// Uniform in (0, 1) from 53 random bits.
double Unit(SeededRng& rng) {
  return (static_cast<double>(rng.Next() >> 11) + 0.5) / 9007199254740992.0;
}

// Values spread over several magnitudes and signs, printed with 4 decimals
// ("-812.0412", "0.3177"): what sensor or finance exports look like, and
// neither all-short nor all-long fields.
int Generate(const char* out, size_t rows, size_t cols, uint64_t seed) {
  SeededRng rng(seed);
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  if (!file) {
    std::fprintf(stderr, "cannot write %s\n", out);
    return 1;
  }
  std::string line;
  for (size_t c = 0; c < cols; ++c) line += fmt::format("{}f{}", c ? "," : "", c);
  line += '\n';
  file << line;
  std::string chunk;
  chunk.reserve(1 << 20);
  char buf[64];
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) {
      // Box–Muller: a normal variate, scaled by 10^(c mod 4).
      double z = std::sqrt(-2.0 * std::log(Unit(rng))) * std::cos(6.283185307179586 * Unit(rng));
      double value = z * std::pow(10.0, static_cast<double>(c % 4));
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed, 4);
      if (c) chunk += ',';
      chunk.append(buf, end);
    }
    chunk += '\n';
    if (chunk.size() > (1 << 20) - 1024) {
      file << chunk;
      chunk.clear();
    }
  }
  file << chunk;
  file.close();
  return file ? 0 : 1;
}

// Wall and CPU seconds of the whole process. The CPU time is what a busy,
// shared machine distorts least (another process taking the core stretches
// the wall time, not ours), and it is the per-core cost if the reader ever
// runs threads.
struct Clock {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  std::clock_t cpu = std::clock();

  std::pair<double, double> Elapsed() const {
    return {std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count(),
            static_cast<double>(std::clock() - cpu) / CLOCKS_PER_SEC};
  }
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Fails loudly rather than timing an error path.
bool CheckTable(const Result<data::Table>& table) {
  if (!table.ok()) {
    std::fprintf(stderr, "parse failed: %s\n", table.status().ToString().c_str());
    return false;
  }
  return true;
}

// CPUs this process may run on, as the reader counts them.
size_t UsableCpus() {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) {
    return static_cast<size_t>(CPU_COUNT(&set));
  }
#endif
  return 1;
}

struct Timings {
  std::vector<double> file_wall, file_cpu, memory_wall, memory_cpu;
};

int Parse(const char* path, int reps) {
  data::InputSpec spec;
  spec.path = path;
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "cannot read %s\n", path);
    return 1;
  }
  file.seekg(0, std::ios::end);
  std::string text(static_cast<size_t>(file.tellg()), '\0');
  file.seekg(0);
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  const double mb = static_cast<double>(text.size()) / 1e6;
  const size_t cpus = UsableCpus();
  std::vector<size_t> thread_counts = {1};
  if (cpus > 1) thread_counts.push_back(cpus);
  std::vector<Timings> timings(thread_counts.size());
  size_t rows = 0, cols = 0, float_cols = 0;
  for (int i = 0; i < reps; ++i) {
    for (size_t t = 0; t < thread_counts.size(); ++t) {
      data::CsvParallelism parallelism;
      parallelism.threads = thread_counts[t];
      Timings& out = timings[t];
      Clock clock;
      auto table = data::ReadTable(spec, parallelism);
      auto [wall, cpu] = clock.Elapsed();
      out.file_wall.push_back(wall);
      out.file_cpu.push_back(cpu);
      if (!CheckTable(table)) return 1;

      clock = Clock();
      auto parsed = data::ParseCsvTable(text, spec.path.string(), spec, parallelism);
      std::tie(wall, cpu) = clock.Elapsed();
      out.memory_wall.push_back(wall);
      out.memory_cpu.push_back(cpu);
      if (!CheckTable(parsed)) return 1;
      rows = parsed->num_rows();
      cols = parsed->num_columns();
      float_cols = static_cast<size_t>(
          std::count_if(parsed->columns.begin(), parsed->columns.end(),
                        [](const data::Column& c) { return c.type == data::ColumnType::kFloat; }));
    }
  }
  std::printf("size %.1f MB, %zu rows x %zu columns (%zu float), %d reps\n", mb, rows, cols,
              float_cols, reps);
  // name, wall s, MB/s on wall time, CPU s, MB/s on CPU time (medians)
  auto print = [mb](const std::string& name, const std::vector<double>& wall,
                    const std::vector<double>& cpu) {
    double w = Median(wall), c = Median(cpu);
    std::printf("%s %.3f %.0f %.3f %.0f\n", name.c_str(), w, mb / w, c, mb / c);
  };
  for (size_t t = 0; t < thread_counts.size(); ++t) {
    std::string suffix = t == 0 ? "" : fmt::format("_{}threads", thread_counts[t]);
    print("ReadTable" + suffix, timings[t].file_wall, timings[t].file_cpu);
    print("ParseCsvTable" + suffix, timings[t].memory_wall, timings[t].memory_cpu);
  }
  return 0;
}

}  // namespace
}  // namespace citadel

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "generate" && argc >= 3) {
    size_t rows = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1000000;
    size_t cols = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 20;
    uint64_t seed = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 42;
    return citadel::Generate(argv[2], rows, cols, seed);
  }
  if (mode == "parse" && argc >= 3) {
    return citadel::Parse(argv[2], argc > 3 ? std::atoi(argv[3]) : 5);
  }
  std::fprintf(stderr,
               "usage: %s generate OUT.csv [ROWS] [COLS] [SEED]\n"
               "       %s parse FILE.csv [REPS]\n",
               argv[0], argv[0]);
  return 2;
}
