// Test support (never linked into the product): a private scratch directory
// per test, removed with its contents when the test passes and kept for
// inspection when it fails.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "base/system/files.h"

namespace citadel::testing {

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "citadel_test_XXXXXX").string();
    char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr) << "mkdtemp failed";
    path_ = pattern;
  }
  ~ScratchDir() {
    if (::testing::Test::HasFailure()) return;  // keep the evidence
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

  // Writes `content` to `name` inside the directory and returns its path.
  std::filesystem::path Write(const std::string& name, std::string_view content) const {
    std::filesystem::path p = path_ / name;
    EXPECT_TRUE(WriteFileAtomic(p, content).ok()) << p;
    return p;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace citadel::testing
