#include "catalog/catalog.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "catalog/catalog_test_util.h"
#include "catalog/migrations.h"

namespace citadel::catalog {
namespace {

TEST_F(CatalogTest, RecordsSchemaVersionOfLastMigration) {
  auto q = catalog_->db().Prepare("PRAGMA user_version");
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(*q->Step());
  EXPECT_EQ(q->ColumnInt(0), AllMigrations().back().version);
  auto mode = catalog_->db().Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(*mode->Step());
  EXPECT_EQ(mode->ColumnText(0), "wal");
}

TEST_F(CatalogTest, ReopeningAppliesNothingTwice) {
  catalog_.reset();
  auto again = Catalog::Open(dir_ / "catalog.db");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
}

TEST_F(CatalogTest, RefusesCatalogFromNewerCitadel) {
  ASSERT_TRUE(catalog_->db().Exec("PRAGMA user_version = 999").ok());
  catalog_.reset();
  auto again = Catalog::Open(dir_ / "catalog.db");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("999"), std::string::npos);
}

TEST_F(CatalogTest, ConcurrentOpenersMigrateOnce) {
  std::filesystem::path fresh = dir_ / "fresh.db";
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      if (!Catalog::Open(fresh).ok()) failures++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(CatalogTest, PutArtifactIsIdempotentAndListsFiles) {
  std::string id = AddArtifact("dataset", "abc");
  AddArtifact("dataset", "abc");
  auto all = catalog_->ListArtifacts();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].id, id);
  auto files = catalog_->ListArtifactFiles();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].blob, crypto::Sha256::Of("abc").Id());
  EXPECT_EQ(catalog_->GetArtifact("sha256:nope").status().code(), StatusCode::kNotFound);
}

TEST_F(CatalogTest, ArtifactPrefixLookupFindsUniqueAndAmbiguous) {
  std::string id = AddArtifact("dataset", "one");
  auto hits = catalog_->ArtifactIdsWithPrefix(id.substr(7, 10));
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0], id);
  AddArtifact("dataset", "two");
  EXPECT_EQ(catalog_->ArtifactIdsWithPrefix("sha256:")->size(), 2u);
  EXPECT_TRUE(catalog_->ArtifactIdsWithPrefix("%")->empty()) << "LIKE wildcards must be escaped";
}

TEST_F(CatalogTest, RunLifecycleAndEdges) {
  std::string in = AddArtifact("source", "csv");
  RunRecord r = NewRun("digits", "prepare", "process", RunStatus::kRunning);
  r.spec = {{"epochs", 3}};
  r.cache_key = "k1";
  r.seed = 7;
  ASSERT_TRUE(catalog_->CreateRun(r).ok());
  ASSERT_TRUE(catalog_->AddRunInput(r.id, in, "source").ok());
  ASSERT_TRUE(catalog_->FinishRun(r.id, RunStatus::kSucceeded, "").ok());
  auto got = catalog_->GetRun(r.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, RunStatus::kSucceeded);
  EXPECT_EQ(got->spec["epochs"], 3);
  EXPECT_EQ(got->seed, 7);
  EXPECT_TRUE(got->finished_at.has_value());
  EXPECT_EQ((*catalog_->RunInputs(r.id))[0].role, "source");
  EXPECT_EQ(*catalog_->ResolveRunId(r.id.substr(0, 13)), r.id);
  EXPECT_EQ(
      catalog_->FinishRun("00000000-0000-7000-8000-000000000000", RunStatus::kFailed, "").code(),
      StatusCode::kNotFound);
}

TEST_F(CatalogTest, RunEdgeToUnknownArtifactViolatesForeignKey) {
  std::string run = AddRun("s", {}, {});
  EXPECT_FALSE(catalog_->AddRunInput(run, "sha256:missing", "in").ok());
}

TEST_F(CatalogTest, CacheLookupReturnsOriginalSucceededRun) {
  std::string out = AddArtifact("dataset", "d");
  std::string original = AddRun("prep", {}, {out});
  AddRun("prep", {}, {out}, original);  // a cached re-run
  auto hit = catalog_->FindCachedRun("key-prep");
  ASSERT_TRUE(hit.ok());
  ASSERT_TRUE(hit->has_value());
  EXPECT_EQ((*hit)->id, original);
  EXPECT_FALSE(catalog_->FindCachedRun("other")->has_value());
}

TEST_F(CatalogTest, CachedRunsAreFoundFromTheRunTheyReused) {
  std::string out = AddArtifact("dataset", "d");
  std::string original = AddRun("prep", {}, {out});
  std::string first = AddRun("prep", {}, {out}, original);
  std::string second = AddRun("prep", {}, {out}, original);
  auto cached = catalog_->RunsCachedFrom(original);
  ASSERT_TRUE(cached.ok()) << cached.status().ToString();
  ASSERT_EQ(cached->size(), 2u);
  EXPECT_EQ((*cached)[0].id, first);
  EXPECT_EQ((*cached)[1].id, second);
  EXPECT_EQ((*cached)[0].cached_from, original);
  EXPECT_TRUE(catalog_->RunsCachedFrom(first)->empty());
}

TEST_F(CatalogTest, FailedRunsAreNeverCacheHits) {
  std::string run = AddRun("prep", {}, {});
  ASSERT_TRUE(catalog_->FinishRun(run, RunStatus::kFailed, "boom").ok());
  EXPECT_FALSE(catalog_->FindCachedRun("key-prep")->has_value());
}

TEST_F(CatalogTest, MetricsAreBatchedAndLastValueWins) {
  std::string run = AddRun("train", {}, {});
  std::vector<MetricPoint> points;
  for (int e = 0; e < 500; ++e) points.push_back({"loss", e, 1.0 / (e + 1), 0});
  points.push_back({"accuracy", 0, 0.5, 0});
  ASSERT_TRUE(catalog_->AddMetrics(run, points).ok());
  EXPECT_EQ(catalog_->Metrics(run)->size(), 501u);
  auto last = catalog_->LastMetrics(run);
  EXPECT_DOUBLE_EQ(last->at("loss"), 1.0 / 500);
  EXPECT_DOUBLE_EQ(last->at("accuracy"), 0.5);
}

TEST_F(CatalogTest, NonFiniteMetricsAreRejectedWholeBatch) {
  std::string run = AddRun("train", {}, {});
  Status s = catalog_->AddMetrics(run, {{"loss", 1, 0.5, 0}, {"loss", 2, std::nan(""), 0}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'loss' at step 2"), std::string::npos) << s.message();
  EXPECT_TRUE(catalog_->Metrics(run)->empty()) << "nothing of the batch is written";
}

TEST_F(CatalogTest, CachedRunIsRecordedWithItsEdgesAtomically) {
  std::string in = AddArtifact("dataset", "in");
  std::string out = AddArtifact("model", "out");
  RunRecord r = NewRun("p", "s", "train", RunStatus::kSucceeded);
  ASSERT_TRUE(catalog_->CreateRunWithEdges(r, {{r.id, in, "train"}}, {{r.id, out, "model"}}).ok());
  EXPECT_EQ(catalog_->RunInputs(r.id)->size(), 1u);
  EXPECT_EQ(catalog_->RunOutputs(r.id)->size(), 1u);

  RunRecord broken = r;
  broken.id = NewUuidV7();
  EXPECT_FALSE(
      catalog_->CreateRunWithEdges(broken, {}, {{broken.id, "sha256:missing", "model"}}).ok());
  EXPECT_EQ(catalog_->GetRun(broken.id).status().code(), StatusCode::kNotFound)
      << "rolled back whole";
}

TEST_F(CatalogTest, StepOutputNamesFollowTheNewestRun) {
  std::string v1 = AddArtifact("model", "v1");
  std::string v2 = AddArtifact("model", "v2");
  auto run_with_output = [&](const std::string& artifact) {
    RunRecord r = NewRun("digits", "train", "train", RunStatus::kSucceeded);
    EXPECT_TRUE(catalog_->CreateRunWithEdges(r, {}, {{r.id, artifact, "model"}}).ok());
  };
  run_with_output(v1);
  run_with_output(v2);
  EXPECT_EQ(**catalog_->LatestArtifactNamed("digits/train.model"), v2);
  run_with_output(v1);  // back to the first data: a cached run re-producing v1
  EXPECT_EQ(**catalog_->LatestArtifactNamed("digits/train.model"), v1);
  EXPECT_FALSE(catalog_->LatestArtifactNamed("digits/train.report")->has_value());
}

TEST_F(CatalogTest, RunsWithStatusFindsOnlyThatStatus) {
  std::string done = AddRun("a", {}, {});
  RunRecord running = NewRun("x", "x", "x", RunStatus::kRunning);
  ASSERT_TRUE(catalog_->CreateRun(running).ok());
  auto found = catalog_->RunsWithStatus(RunStatus::kRunning);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].id, running.id);
}

TEST_F(CatalogTest, ModelRegistryVersionsAndAliases) {
  std::string m1 = AddArtifact("model", "w1");
  std::string m2 = AddArtifact("model", "w2");
  auto v1 = catalog_->RegisterModelVersion("digits", m1, std::nullopt);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(v1->version, 1);
  EXPECT_EQ(catalog_->RegisterModelVersion("digits", m1, std::nullopt)->version, 1) << "idempotent";
  EXPECT_EQ(catalog_->RegisterModelVersion("digits", m2, std::nullopt)->version, 2);
  ASSERT_TRUE(catalog_->SetAlias("digits", "production", 1).ok());
  EXPECT_EQ(catalog_->ResolveModel("digits", 0, "production")->artifact_id, m1);
  EXPECT_EQ(catalog_->ResolveModel("digits", 0, "")->artifact_id, m2);
  ASSERT_TRUE(catalog_->SetAlias("digits", "production", 2).ok());
  EXPECT_EQ(catalog_->ResolveModel("digits", 0, "production")->version, 2);
  EXPECT_EQ(catalog_->ResolveModel("digits", 9, "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(catalog_->SetAlias("digits", "x", 9).code(), StatusCode::kNotFound);
  EXPECT_FALSE(catalog_->SetAlias("digits", "12", 1).ok());
  EXPECT_FALSE(catalog_->RegisterModelVersion("bad name!", m1, std::nullopt).ok());
  std::string data = AddArtifact("dataset", "x");
  EXPECT_EQ(catalog_->RegisterModelVersion("digits", data, std::nullopt).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(CatalogTest, UnfinishedRunsAreTheFailedAndCancelledOnesOfAKeyNewestFirst) {
  std::vector<std::string> ids;
  for (RunStatus status :
       {RunStatus::kFailed, RunStatus::kSucceeded, RunStatus::kCancelled, RunStatus::kRunning}) {
    RunRecord r = NewRun("p", "train", "train", status);
    r.cache_key = "k";
    ASSERT_TRUE(catalog_->CreateRun(r).ok());
    ids.push_back(r.id);
  }
  RunRecord other = NewRun("p", "train", "train", RunStatus::kFailed);
  other.cache_key = "other";
  ASSERT_TRUE(catalog_->CreateRun(other).ok());
  auto runs = catalog_->UnfinishedRuns("k");
  ASSERT_TRUE(runs.ok()) << runs.status().ToString();
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].id, ids[2]) << "the cancelled one is newer";
  EXPECT_EQ((*runs)[1].id, ids[0]);
}

TEST_F(CatalogTest, DeleteUnusedArtifactRemovesItsRowsButNeverAnArtifactInUse) {
  const std::string shared_content = "same bytes";
  const std::string a = AddArtifact("checkpoint", shared_content);
  const std::string b = AddArtifact("checkpoint", "b");
  // c lists the same blob as a under another path: that blob is not a's alone.
  auto c_manifest = store::Manifest::FromEntries(
      {{"g", crypto::Sha256::Of(shared_content), shared_content.size()}});
  ArtifactRecord c;
  c.id = c_manifest->Id().Id();
  c.kind = "file";
  c.name = "c";
  c.media_type = "application/octet-stream";
  ASSERT_TRUE(catalog_->PutArtifact(c, *c_manifest).ok());
  const std::string writer = AddRun("train", {}, {a, b});
  const std::string reader = AddRun("resume", {b}, {});

  auto removed = catalog_->DeleteUnusedArtifact(a);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  ASSERT_TRUE(removed->has_value());
  EXPECT_TRUE((*removed)->empty()) << "its one blob is still listed by c";
  EXPECT_EQ(catalog_->GetArtifact(a).status().code(), StatusCode::kNotFound);
  auto outputs = catalog_->RunOutputs(writer);
  ASSERT_EQ(outputs->size(), 1u);
  EXPECT_EQ((*outputs)[0].artifact_id, b);

  auto kept = catalog_->DeleteUnusedArtifact(b);
  ASSERT_TRUE(kept.ok());
  EXPECT_FALSE(kept->has_value()) << "run " << reader << " took it as input";
  EXPECT_TRUE(catalog_->GetArtifact(b).ok());

  auto last = catalog_->DeleteUnusedArtifact(c.id);
  ASSERT_TRUE(last.ok());
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ(**last, std::vector<std::string>{crypto::Sha256::Of(shared_content).Id()});
}

}  // namespace
}  // namespace citadel::catalog
