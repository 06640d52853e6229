#include <gtest/gtest.h>

#include <algorithm>

#include "catalog/catalog_test_util.h"

namespace citadel::catalog {
namespace {

bool HasArtifact(const LineageGraph& g, const std::string& id) {
  return std::any_of(g.artifacts.begin(), g.artifacts.end(), [&](auto& a) { return a.id == id; });
}
bool HasRun(const LineageGraph& g, const std::string& id) {
  return std::any_of(g.runs.begin(), g.runs.end(), [&](auto& r) { return r.id == id; });
}

// source → prepare → {train, test}; train → fit → model; model+test → eval → report
class LineageTest : public CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    source_ = AddArtifact("source", "csv");
    train_ = AddArtifact("dataset", "train");
    test_ = AddArtifact("dataset", "test");
    model_ = AddArtifact("model", "model");
    report_ = AddArtifact("report", "report");
    prepare_ = AddRun("prepare", {source_}, {train_, test_});
    fit_ = AddRun("fit", {train_}, {model_});
    eval_ = AddRun("eval", {model_, test_}, {report_});
  }
  std::string source_, train_, test_, model_, report_, prepare_, fit_, eval_;
};

TEST_F(LineageTest, UpFromModelReachesSourceThroughEveryRun) {
  auto g = catalog_->Lineage(model_, LineageDirection::kUp);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_TRUE(HasArtifact(*g, source_));
  EXPECT_TRUE(HasArtifact(*g, train_));
  EXPECT_TRUE(HasRun(*g, prepare_));
  EXPECT_TRUE(HasRun(*g, fit_));
  EXPECT_FALSE(HasRun(*g, eval_));
  EXPECT_FALSE(HasArtifact(*g, test_)) << "a sibling output is not an ancestor";
  EXPECT_EQ(g->edges.size(), 4u);  // source→prepare→train→fit→model
}

TEST_F(LineageTest, DownFromSourceReachesReport) {
  auto g = catalog_->Lineage(source_, LineageDirection::kDown);
  ASSERT_TRUE(g.ok());
  for (const auto& id : {train_, test_, model_, report_}) EXPECT_TRUE(HasArtifact(*g, id));
  for (const auto& id : {prepare_, fit_, eval_}) EXPECT_TRUE(HasRun(*g, id));
}

TEST_F(LineageTest, CachedRunsAreNotLineage) {
  std::string cached = AddRun("fit", {train_}, {model_}, fit_);
  auto g = catalog_->Lineage(model_, LineageDirection::kUp);
  EXPECT_FALSE(HasRun(*g, cached));
  EXPECT_TRUE(HasRun(*g, fit_));
}

TEST_F(LineageTest, BothDirectionsFromTheTrainSplit) {
  auto g = catalog_->Lineage(train_, LineageDirection::kBoth);
  ASSERT_TRUE(g.ok());
  for (const auto& id : {source_, train_, model_, report_}) EXPECT_TRUE(HasArtifact(*g, id)) << id;
  for (const auto& id : {prepare_, fit_, eval_}) EXPECT_TRUE(HasRun(*g, id)) << id;
  size_t train_nodes = std::count_if(g->artifacts.begin(), g->artifacts.end(),
                                     [&](const auto& a) { return a.id == train_; });
  EXPECT_EQ(train_nodes, 1u) << "the root is listed once";
}

TEST_F(LineageTest, UnknownArtifactIsNotFound) {
  EXPECT_EQ(catalog_->Lineage("sha256:00", LineageDirection::kUp).status().code(),
            StatusCode::kNotFound);
}

TEST_F(LineageTest, CyclesTerminate) {
  // A run that consumes its own output must not loop the recursive query.
  std::string loop = AddRun("loop", {report_}, {source_});
  auto g = catalog_->Lineage(model_, LineageDirection::kUp);
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(HasRun(*g, loop));
}

}  // namespace
}  // namespace citadel::catalog
