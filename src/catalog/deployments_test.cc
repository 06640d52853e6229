#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"

namespace citadel::catalog {
namespace {

DeploymentRecord Deployment(const std::string& endpoint, const std::string& model) {
  DeploymentRecord d;
  d.endpoint = endpoint;
  d.spec = {{"routes", {{{"model", model}, {"role", "primary"}, {"weight", 100}}}}};
  d.reason = "test";
  d.created_by = "cli";
  return d;
}

TEST_F(CatalogTest, DeploymentRevisionsAppendAndTheNewestIsCurrent) {
  EXPECT_EQ(*catalog_->PutDeployment(Deployment("mlp", "a:1")), 1);
  EXPECT_EQ(*catalog_->PutDeployment(Deployment("mlp", "a:2")), 2);
  EXPECT_EQ(*catalog_->PutDeployment(Deployment("cnn", "c:1")), 1);
  auto current = catalog_->CurrentDeployments();
  ASSERT_TRUE(current.ok()) << current.status();
  ASSERT_EQ(current->size(), 2u);
  EXPECT_EQ((*current)[0].endpoint, "cnn");
  EXPECT_EQ((*current)[1].endpoint, "mlp");
  EXPECT_EQ((*current)[1].revision, 2);
  EXPECT_EQ((*current)[1].spec["routes"][0]["model"], "a:2");
  auto history = catalog_->DeploymentHistory("mlp");
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].spec["routes"][0]["model"], "a:1");
  EXPECT_FALSE((*history)[0].created_at.empty());
}

TEST_F(CatalogTest, DeploymentCompareAndSetRefusesAStaleRevision) {
  ASSERT_TRUE(catalog_->PutDeployment(Deployment("mlp", "a:1"), 0).ok());
  auto stale = catalog_->PutDeployment(Deployment("mlp", "a:2"), 0);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(stale.status().message().find("revision 1"), std::string::npos) << stale.status();
  EXPECT_EQ(catalog_->DeploymentHistory("mlp")->size(), 1u);
  EXPECT_EQ(*catalog_->PutDeployment(Deployment("mlp", "a:2"), 1), 2);
}

TEST_F(CatalogTest, RemovedEndpointIsNotCurrentButKeepsItsHistory) {
  ASSERT_TRUE(catalog_->PutDeployment(Deployment("mlp", "a:1")).ok());
  DeploymentRecord removed = Deployment("mlp", "");
  removed.spec = Json::object();
  ASSERT_TRUE(catalog_->PutDeployment(removed).ok());
  EXPECT_TRUE(catalog_->CurrentDeployments()->empty());
  EXPECT_EQ(catalog_->DeploymentHistory("mlp")->size(), 2u);
  auto one = catalog_->CurrentDeployment("mlp");
  ASSERT_TRUE(one->has_value());
  EXPECT_TRUE((*one)->spec.empty());
  EXPECT_FALSE(catalog_->CurrentDeployment("nope")->has_value());
}

TEST_F(CatalogTest, DeploymentEventsKeepTheNewestInOrder) {
  for (int i = 0; i < 5; ++i) {
    DeploymentEvent e;
    e.endpoint = i % 2 == 0 ? "mlp" : "cnn";
    e.kind = "rollout";
    e.detail = {{"i", i}};
    ASSERT_TRUE(catalog_->AddDeploymentEvent(e).ok());
  }
  auto mlp = catalog_->DeploymentEvents("mlp", 2);
  ASSERT_EQ(mlp->size(), 2u);
  EXPECT_EQ((*mlp)[0].detail["i"], 2);
  EXPECT_EQ((*mlp)[1].detail["i"], 4);
  EXPECT_EQ(catalog_->DeploymentEvents("", 100)->size(), 5u);
}

TEST_F(CatalogTest, TokensAreUniqueByNameAndRevocationFreesTheName) {
  TokenRecord t{"abc123", "web", "sha256:00", {{"rate_per_second", 5}}, "", std::nullopt};
  ASSERT_TRUE(catalog_->PutToken(t).ok());
  TokenRecord again{"def456", "web", "sha256:11", Json::object(), "", std::nullopt};
  auto dup = catalog_->PutToken(again);
  EXPECT_EQ(dup.code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(catalog_->RevokeToken("web").ok());
  EXPECT_EQ(catalog_->RevokeToken("web").code(), StatusCode::kNotFound);
  ASSERT_TRUE(catalog_->PutToken(again).ok());
  auto tokens = catalog_->ListTokens();
  ASSERT_EQ(tokens->size(), 2u);
  EXPECT_TRUE((*tokens)[0].revoked_at.has_value());
  EXPECT_EQ((*tokens)[0].limits["rate_per_second"], 5);
  EXPECT_FALSE((*tokens)[1].revoked_at.has_value());
}

TEST_F(CatalogTest, DataVersionChangesWhenAnotherConnectionCommits) {
  auto before = catalog_->DataVersion();
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(*catalog_->DataVersion(), *before);
  auto other = Catalog::Open(dir_ / "catalog.db");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->PutDeployment(Deployment("mlp", "a:1")).ok());
  EXPECT_NE(*catalog_->DataVersion(), *before);
}

}  // namespace
}  // namespace citadel::catalog
