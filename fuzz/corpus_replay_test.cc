// The checked-in fuzz corpora as a regression suite of the regular build:
// every file goes through its target's harness (and through ScanBytes,
// which reaches every format), so an input that once crashed a parser keeps
// being tried on every `make test`. Seeds named `finding-*` must be reported
// by the scanner and seeds named `clean-*` must not: the corpus also pins
// down what the scanner says, not only that it survives.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "harness/harness.h"
#include "scan/model_scanner.h"

namespace citadel::fuzz {
namespace {

namespace fs = std::filesystem;

struct Target {
  const char* name;  // fuzz_NAME, corpus/NAME/
  void (*harness)(std::string_view);
};

constexpr Target kTargets[] = {
    {"pickle", FuzzPickle}, {"zip", FuzzZip},   {"safetensors", FuzzSafetensors},
    {"npy", FuzzNpy},       {"idx", FuzzIdx},   {"gguf", FuzzGguf},
    {"onnx", FuzzOnnx},     {"hdf5", FuzzHdf5}, {"keras", FuzzKeras},
    {"scan", FuzzScan},
};

// A corpus stays a handful of small files: a seed bigger than this belongs
// in tests/fixtures, not in a fuzzer's starting set.
constexpr uintmax_t kMaxSeedBytes = 64 << 10;

std::vector<fs::path> CorpusFiles(const std::string& target) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(CITADEL_FUZZ_CORPUS_DIR) / target)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<fs::path> AllCorpusFiles() {
  std::vector<fs::path> all;
  for (const Target& t : kTargets) {
    for (fs::path& p : CorpusFiles(t.name)) all.push_back(std::move(p));
  }
  return all;
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

scan::FileReport Scan(const fs::path& path) {
  return scan::ScanBytes(ReadAll(path), path.filename().string(), scan::ScanOptions{});
}

class FuzzCorpus : public testing::TestWithParam<Target> {};

TEST_P(FuzzCorpus, HasSmallSeeds) {
  const std::vector<fs::path> files = CorpusFiles(GetParam().name);
  EXPECT_GE(files.size(), 3u) << "corpus/" << GetParam().name << " needs seeds";
  for (const fs::path& f : files) EXPECT_LE(fs::file_size(f), kMaxSeedBytes) << f;
}

TEST_P(FuzzCorpus, EverySeedReplaysThroughItsHarnessAndTheScanner) {
  for (const fs::path& f : CorpusFiles(GetParam().name)) {
    SCOPED_TRACE(f.string());
    const std::string data = ReadAll(f);
    GetParam().harness(data);
    FuzzScan(data);
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzCorpus, testing::ValuesIn(kTargets),
                         [](const testing::TestParamInfo<Target>& info) {
                           return std::string(info.param.name);
                         });

TEST(FuzzCorpusSeeds, NamedFindingAreReportedByTheScanner) {
  int checked = 0;
  for (const fs::path& f : AllCorpusFiles()) {
    if (!f.filename().string().starts_with("finding-")) continue;
    const scan::FileReport report = Scan(f);
    EXPECT_FALSE(report.findings.empty()) << f << " (" << report.format << ") has no finding";
    ++checked;
  }
  EXPECT_GE(checked, 10) << "the corpus lost its known-bad seeds";
}

TEST(FuzzCorpusSeeds, NamedCleanAreRecognisedAndPassTheScanner) {
  int checked = 0;
  for (const fs::path& f : AllCorpusFiles()) {
    if (!f.filename().string().starts_with("clean-")) continue;
    const scan::FileReport report = Scan(f);
    EXPECT_NE(report.format, "unknown") << f;
    for (const scan::Finding& finding : report.findings) {
      ADD_FAILURE() << f << ": " << finding.rule << " at " << finding.entry << "@" << finding.offset
                    << ": " << finding.detail;
    }
    ++checked;
  }
  EXPECT_GE(checked, 5) << "the corpus lost its clean seeds";
}

}  // namespace
}  // namespace citadel::fuzz
