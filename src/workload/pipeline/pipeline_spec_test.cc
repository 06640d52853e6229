#include "workload/pipeline/pipeline_spec.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "base/system/files.h"

namespace citadel::workload {
namespace {

class PipelineSpecTest : public ::testing::Test {
 protected:
  Result<PipelineSpec> Load(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() /
            ("citadel_spec_" + std::to_string(::getpid()) + ".yaml");
    EXPECT_TRUE(WriteFileAtomic(path_, text).ok());
    return LoadPipelineSpec(path_);
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::filesystem::path path_;
};

TEST_F(PipelineSpecTest, ReadsStepsInOrder) {
  auto spec = Load(
      "pipeline: demo\nsteps:\n  - { name: a, kind: process }\n  - { name: b, kind: train }\n");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->name, "demo");
  ASSERT_EQ(spec->steps.size(), 2u);
  EXPECT_EQ(spec->steps[1].name, "b");
  EXPECT_EQ(spec->steps[1].pointer, "/steps/1");
  EXPECT_EQ(spec->dir, path_.parent_path());
}

struct BadSpec {
  const char* text;
  const char* fragment;
};

TEST_F(PipelineSpecTest, RejectsMalformedSpecsWithLineNumbers) {
  std::vector<BadSpec> cases = {
      {"steps: []\n", "required field 'pipeline'"},
      {"pipeline: demo\nsteps: []\n", ":2: steps: expected a non-empty list"},
      {"pipeline: Demo!\nsteps:\n  - { name: a, kind: train }\n", "pipeline name 'Demo!'"},
      {"pipeline: d\nsteps:\n  - { name: a, kind: train }\n  - { name: a, kind: train }\n",
       ":4: steps/1/name: a step named 'a'"},
      {"pipeline: d\nsteps:\n  - { name: a, kind: deploy }\n", "unknown step kind 'deploy'"},
      {"pipeline: d\nsteps:\n  - { kind: train }\n", "required field 'name'"},
      {"pipeline: d\nstep:\n  - { name: a, kind: train }\n", "unknown field 'step'"},
      {"pipeline: d\nsteps:\n  - just-a-string\n", "a step must be a mapping"},
      {"pipeline: [unclosed\n", "invalid YAML"},
  };
  for (const auto& c : cases) {
    auto spec = Load(c.text);
    ASSERT_FALSE(spec.ok()) << c.text;
    EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(spec.status().message().find(c.fragment), std::string::npos)
        << spec.status().message();
    EXPECT_NE(spec.status().message().find(path_.string()), std::string::npos)
        << spec.status().message();
  }
}

TEST(PipelineSpec, MissingFileIsNotFound) {
  EXPECT_EQ(LoadPipelineSpec("/nonexistent/pipeline.yaml").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace citadel::workload
