#include "base/system/mapped_file.h"

#include <gtest/gtest.h>

#include "base/system/files.h"
#include "base/testing/scratch_dir.h"

namespace citadel {
namespace {

TEST(MappedFile, MapsTheWholeFileAndMovesWithoutCopying) {
  citadel::testing::ScratchDir dir;
  const std::string content(3 * 4096 + 17, 'x');
  ASSERT_TRUE(WriteFileAtomic(dir.path() / "f", content).ok());
  auto mapped = MappedFile::Open(dir.path() / "f");
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  EXPECT_EQ(mapped->bytes(), content);
  const char* where = mapped->bytes().data();
  MappedFile moved = std::move(*mapped);
  EXPECT_EQ(moved.bytes().data(), where);
  EXPECT_TRUE(mapped->bytes().empty());
}

TEST(MappedFile, EmptyAndMissingFiles) {
  citadel::testing::ScratchDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.path() / "empty", "").ok());
  auto empty = MappedFile::Open(dir.path() / "empty");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->bytes().empty());
  EXPECT_EQ(MappedFile::Open(dir.path() / "missing").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace citadel
