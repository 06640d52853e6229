#include "workload/ref_resolver.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

#include "base/ids.h"
#include "base/testing/scratch_dir.h"
#include "workload/workspace.h"

namespace citadel::workload {
namespace {

class RefResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ws = Workspace::Init(root_);
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
    ws_ = std::move(*ws);
    model_ = Add("model", "digits/train.model", "weights-1");
    model2_ = Add("model", "digits/train.model", "weights-2");
    run_ = NewUuidV7();
    catalog::RunRecord r;
    r.id = run_;
    r.pipeline = "digits";
    r.step = "train";
    r.kind = "train";
    r.status = catalog::RunStatus::kSucceeded;
    ASSERT_TRUE(ws_->catalog().CreateRun(r).ok());
    ASSERT_TRUE(ws_->catalog().AddRunOutput(run_, model_, "model").ok());
    ASSERT_TRUE(ws_->catalog().RegisterModelVersion("digits", model_, run_).ok());
    ASSERT_TRUE(ws_->catalog().RegisterModelVersion("digits", model2_, std::nullopt).ok());
    ASSERT_TRUE(ws_->catalog().SetAlias("digits", "production", 1).ok());
  }
  std::string Add(const std::string& kind, const std::string& name, const std::string& content) {
    auto m = store::Manifest::FromEntries({{"f", crypto::Sha256::Of(content), content.size()}});
    catalog::ArtifactRecord a;
    a.id = m->Id().Id();
    a.kind = kind;
    a.name = name;
    a.media_type = "x";
    EXPECT_TRUE(ws_->catalog().PutArtifact(a, *m).ok());
    return a.id;
  }
  Result<std::string> Resolve(const std::string& ref) {
    return ResolveArtifactRef(ws_->catalog(), ref);
  }

  citadel::testing::ScratchDir scratch_;
  const std::filesystem::path& root_ = scratch_.path();
  std::unique_ptr<Workspace> ws_;
  std::string model_, model2_, run_;
};

TEST_F(RefResolverTest, ResolvesEveryRefForm) {
  EXPECT_EQ(*Resolve(model_), model_);
  EXPECT_EQ(*Resolve(model_.substr(0, 20)), model_);
  EXPECT_EQ(*Resolve(model_.substr(7, 12)), model_) << "bare hex prefix";
  EXPECT_EQ(*Resolve("digits"), model2_) << "latest version";
  EXPECT_EQ(*Resolve("digits:1"), model_);
  EXPECT_EQ(*Resolve("digits@production"), model_);
  EXPECT_EQ(*Resolve("model:digits@production"), model_);
  EXPECT_EQ(*Resolve("model:digits:2"), model2_);
  EXPECT_EQ(*Resolve("model:digits"), model2_);
  EXPECT_EQ(*Resolve(run_ + ":model"), model_);
  EXPECT_EQ(*Resolve(run_.substr(0, 13) + ":model"), model_);
  EXPECT_EQ(*Resolve("digits/train.model"), model_)
      << "a step output name means what the newest run of that step produced";
  std::string csv = Add("source", "data.csv", "a,b\n1,2\n");
  EXPECT_EQ(*Resolve("data.csv"), csv) << "other names: the artifact with that name";
}

TEST_F(RefResolverTest, ExplainsWhatIsMissing) {
  EXPECT_EQ(Resolve("nothing").status().code(), StatusCode::kNotFound);
  EXPECT_NE(Resolve("digits:7").status().message().find("no version 7"), std::string::npos);
  EXPECT_NE(Resolve("digits@canary").status().message().find("no alias 'canary'"),
            std::string::npos);
  EXPECT_NE(Resolve(run_ + ":report").status().message().find("its outputs: model"),
            std::string::npos);
  EXPECT_EQ(Resolve("sha256:XYZ").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Resolve("").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RefResolverTest, AmbiguousPrefixIsRejected) {
  // Add datasets until two ids share their first hex digit (pigeonhole: ≤ 17).
  std::map<char, int> first_digits;
  char shared = 0;
  for (int i = 0; shared == 0; ++i) {
    std::string id = Add("dataset", "d" + std::to_string(i), "content-" + std::to_string(i));
    if (++first_digits[id[7]] == 2) shared = id[7];
  }
  auto r = Resolve(std::string("sha256:") + shared);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("several artifacts"), std::string::npos);
}

TEST_F(RefResolverTest, OpeningANonWorkspaceExplainsHowToCreateOne) {
  auto ws = Workspace::Open(root_ / "nope");
  ASSERT_FALSE(ws.ok());
  EXPECT_EQ(ws.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(ws.status().message().find("citadel init"), std::string::npos);
}

}  // namespace
}  // namespace citadel::workload
