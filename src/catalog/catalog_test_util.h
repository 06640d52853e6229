// Fixtures shared by the catalog tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "base/ids.h"
#include "base/testing/scratch_dir.h"
#include "catalog/catalog.h"

namespace citadel::catalog {

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = Catalog::Open(dir_ / "catalog.db");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    catalog_ = std::move(*c);
  }

  // An artifact with a single file whose content is `content`.
  std::string AddArtifact(const std::string& kind, const std::string& content,
                          const std::optional<std::string>& run = std::nullopt) {
    auto manifest =
        store::Manifest::FromEntries({{"f", crypto::Sha256::Of(content), content.size()}});
    ArtifactRecord a;
    a.id = manifest->Id().Id();
    a.kind = kind;
    a.name = kind + "/" + content;
    a.media_type = "application/octet-stream";
    a.size = content.size();
    a.created_by_run = run;
    EXPECT_TRUE(catalog_->PutArtifact(a, *manifest).ok());
    return a.id;
  }

  // A run record with a fresh id, not yet stored.
  static RunRecord NewRun(const std::string& pipeline, const std::string& step,
                          const std::string& kind, RunStatus status) {
    RunRecord r;
    r.id = NewUuidV7();
    r.pipeline = pipeline;
    r.step = step;
    r.kind = kind;
    r.status = status;
    return r;
  }

  std::string AddRun(const std::string& step, const std::vector<std::string>& inputs,
                     const std::vector<std::string>& outputs,
                     std::optional<std::string> cached_from = std::nullopt) {
    RunRecord r = NewRun("p", step, "process", RunStatus::kSucceeded);
    r.cache_key = "key-" + step;
    r.cached_from = cached_from;
    EXPECT_TRUE(catalog_->CreateRun(r).ok());
    for (const auto& i : inputs) EXPECT_TRUE(catalog_->AddRunInput(r.id, i, "in").ok());
    for (const auto& o : outputs) EXPECT_TRUE(catalog_->AddRunOutput(r.id, o, "out").ok());
    return r.id;
  }

  citadel::testing::ScratchDir scratch_;  // declared first: outlives the catalog
  const std::filesystem::path& dir_ = scratch_.path();
  std::unique_ptr<Catalog> catalog_;
};

}  // namespace citadel::catalog
