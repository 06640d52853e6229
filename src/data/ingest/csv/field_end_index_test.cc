// FieldEndIndex: every kernel lists the same ends as a byte-by-byte search,
// and Ends() returns the right ones across window refills.
#include "data/ingest/csv/field_end_index.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/random.h"

namespace citadel::data {
namespace {

using Kernel = FieldEndIndex::Kernel;

std::vector<Kernel> AvailableKernels() {
  std::vector<Kernel> kernels;
  for (Kernel k : {Kernel::kScalar, Kernel::kSse2, Kernel::kAvx2}) {
    if (FieldEndIndex::KernelAvailable(k)) kernels.push_back(k);
  }
  return kernels;
}

// Bytes CSV text is made of, the structural ones often, and any byte now and
// then (NUL, UTF-8 lead bytes, 0xFF).
std::string RandomText(SeededRng& rng, size_t size) {
  static const char kCommon[] = {',', ';', '\n', '"', '\r', '0', '5', '.', '-', 'a', ' ', '\t'};
  std::string text(size, '\0');
  for (char& c : text) {
    c = rng.Below(8) == 0 ? static_cast<char>(rng.Below(256)) : kCommon[rng.Below(sizeof(kCommon))];
  }
  return text;
}

std::vector<uint32_t> ExpectedEnds(std::string_view text, char delimiter) {
  std::vector<uint32_t> ends;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == delimiter || text[i] == '\n' || text[i] == '"') {
      ends.push_back(static_cast<uint32_t>(i));
    }
  }
  return ends;
}

TEST(FieldEndIndex, EveryKernelListsTheEndsOfRandomText) {
  SeededRng rng(11);
  for (int round = 0; round < 300; ++round) {
    const size_t blocks = 1 + rng.Below(40);
    const std::string text = RandomText(rng, 64 * blocks);
    for (char delimiter : {',', ';', '\t', '|'}) {
      const std::vector<uint32_t> want = ExpectedEnds(text, delimiter);
      for (Kernel kernel : AvailableKernels()) {
        SCOPED_TRACE(fmt::format("round {} delimiter {} kernel {}", round, delimiter,
                                 static_cast<int>(kernel)));
        std::vector<uint32_t> got(text.size() + 64);
        FieldEndScan scan =
            ListFieldEnds(kernel, text.data(), text.size(), delimiter, text.size() + 1, got.data());
        EXPECT_EQ(scan.bytes, text.size());
        got.resize(scan.ends);
        EXPECT_EQ(got, want);
      }
    }
  }
}

TEST(FieldEndIndex, KernelsStopAfterTheBlockThatReachesTheCount) {
  std::string text(64 * 4, ',');  // 64 ends per block
  for (Kernel kernel : AvailableKernels()) {
    std::vector<uint32_t> out(64 * 4 + 64);
    FieldEndScan scan = ListFieldEnds(kernel, text.data(), text.size(), ',', 65, out.data());
    EXPECT_EQ(scan.bytes, 128u);
    EXPECT_EQ(scan.ends, 128u);
  }
}

TEST(FieldEndIndex, EndsAcrossWindowRefillsMatchASearch) {
  SeededRng rng(5);
  for (size_t size : {0, 1, 63, 64, 65, 1000, 100000, 300001}) {
    const std::string text = RandomText(rng, size);
    const std::vector<uint32_t> want = ExpectedEnds(text, ',');
    for (Kernel kernel : AvailableKernels()) {
      SCOPED_TRACE(fmt::format("size {} kernel {}", size, static_cast<int>(kernel)));
      FieldEndIndex index(text, ',', 8, kernel);
      // Walk forward in random steps, as records of up to 8 fields would.
      size_t pos = 0;
      size_t k = 0;  // first expected end at or after pos
      while (pos <= size) {
        while (k < want.size() && want[k] < pos) ++k;
        const size_t count = 1 + rng.Below(8);
        const uint32_t* ends = index.Ends(pos, count);
        if (k + count > want.size()) {
          ASSERT_EQ(ends, nullptr) << pos;
          break;
        }
        ASSERT_NE(ends, nullptr) << pos;
        for (size_t j = 0; j < count; ++j) {
          ASSERT_EQ(index.window_begin() + ends[j], want[k + j]) << pos;
        }
        // Either consume the record (the fast path) or step past it
        // without consuming (the general path read it).
        if (rng.Below(2)) index.Consume(count);
        pos = want[k + count - 1] + 1 + rng.Below(3);
      }
    }
  }
}

TEST(FieldEndIndex, JumpingBackwardRefillsTheWindow) {
  const std::string text = "a,b\n" + std::string(200000, 'x') + ",c\n";
  FieldEndIndex index(text, ',', 2);
  const uint32_t* late = index.Ends(5, 2);
  ASSERT_NE(late, nullptr);
  EXPECT_EQ(index.window_begin() + late[0], 200004u);
  const uint32_t* early = index.Ends(0, 2);
  ASSERT_NE(early, nullptr);
  EXPECT_EQ(index.window_begin() + early[0], 1u);
  EXPECT_EQ(index.window_begin() + early[1], 3u);
}

}  // namespace
}  // namespace citadel::data
