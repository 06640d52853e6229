#include "base/system/files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "base/testing/scratch_dir.h"

namespace citadel {
namespace {

namespace fs = std::filesystem;

class FilesTest : public ::testing::Test {
 protected:
  citadel::testing::ScratchDir scratch_;
  const fs::path& dir_ = scratch_.path();
};

TEST_F(FilesTest, AtomicWriteThenReadRoundTrips) {
  fs::path p = dir_ / "a.txt";
  ASSERT_TRUE(WriteFileAtomic(p, "hello").ok());
  auto data = ReadFile(p);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, "hello");
}

TEST_F(FilesTest, ReadFileReturnsExactlyTheBytesWhateverTheSizeSays) {
  ASSERT_TRUE(WriteFileAtomic(dir_ / "empty", "").ok());
  EXPECT_EQ(*ReadFile(dir_ / "empty"), "");
  std::string big(300000, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 % 251);
  ASSERT_TRUE(WriteFileAtomic(dir_ / "big", big).ok());
  auto read = ReadFile(dir_ / "big");
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(*read == big);
  // /proc files report size 0 but have content.
  auto status = ReadFile("/proc/self/status");
  ASSERT_TRUE(status.ok());
  EXPECT_NE(status->find("Pid:"), std::string::npos);
}

TEST_F(FilesTest, AtomicWriteReplacesAndLeavesNoTemporaries) {
  fs::path p = dir_ / "a.txt";
  ASSERT_TRUE(WriteFileAtomic(p, "first").ok());
  ASSERT_TRUE(WriteFileAtomic(p, "second").ok());
  EXPECT_EQ(*ReadFile(p), "second");
  int entries = 0;
  for (auto& e : fs::directory_iterator(dir_)) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST_F(FilesTest, AtomicWriteIntoMissingDirectoryFailsCleanly) {
  Status s = WriteFileAtomic(dir_ / "missing" / "a.txt", "x");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
}

TEST_F(FilesTest, ConcurrentWritersNeverExposePartialContent) {
  fs::path p = dir_ / "shared.txt";
  std::string a(1 << 16, 'a');
  std::string b(1 << 16, 'b');
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) ASSERT_TRUE(WriteFileAtomic(p, t % 2 ? a : b).ok());
    });
  }
  for (int i = 0; i < 50; ++i) {
    auto data = ReadFile(p);
    if (data.ok()) {
      EXPECT_TRUE(*data == a || *data == b);
    }
  }
  for (auto& t : threads) t.join();
}

TEST_F(FilesTest, ReadMissingFileIsNotFound) {
  auto r = ReadFile(dir_ / "nope");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("nope"), std::string::npos);
}

}  // namespace
}  // namespace citadel
