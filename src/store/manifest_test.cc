#include "store/manifest.h"

#include <gtest/gtest.h>

namespace citadel::store {
namespace {

TEST(Manifest, SortsByPathAndHasStableId) {
  auto d = crypto::Sha256::Of("x");
  auto a = Manifest::FromEntries({{"b.txt", d, 1}, {"a.txt", d, 1}});
  auto b = Manifest::FromEntries({{"a.txt", d, 1}, {"b.txt", d, 1}});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->files()[0].path, "a.txt");
  EXPECT_EQ(a->Id(), b->Id());
  EXPECT_EQ(a->TotalSize(), 2u);
}

TEST(Manifest, IdChangesWithAnyFileDigest) {
  auto a = Manifest::FromEntries({{"a", crypto::Sha256::Of("1"), 1}});
  auto b = Manifest::FromEntries({{"a", crypto::Sha256::Of("2"), 1}});
  EXPECT_NE(a->Id(), b->Id());
}

TEST(Manifest, ParseRoundTripsCanonicalForm) {
  auto a = Manifest::FromEntries({{"dir/f", crypto::Sha256::Of("1"), 7}});
  auto parsed = Manifest::Parse(a->Canonical(), "test");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->Canonical(), a->Canonical());
  ASSERT_NE(parsed->Find("dir/f"), nullptr);
  EXPECT_EQ(parsed->Find("nope"), nullptr);
}

TEST(Manifest, RejectsUnsafeAndDuplicatePaths) {
  auto d = crypto::Sha256::Of("x");
  for (const char* bad : {"../etc/passwd", "/abs", "a/../b", "", "a//b", "./a", "a\\b"}) {
    EXPECT_FALSE(Manifest::FromEntries({{bad, d, 1}}).ok()) << bad;
  }
  EXPECT_FALSE(Manifest::FromEntries({{"a", d, 1}, {"a", d, 1}}).ok());
}

TEST(Manifest, ParseRejectsMalformedDocuments) {
  EXPECT_FALSE(Manifest::Parse("{}", "m").ok());
  EXPECT_FALSE(Manifest::Parse(R"({"files":[{"path":"a"}]})", "m").ok());
  EXPECT_FALSE(Manifest::Parse(R"({"files":[{"path":"a","sha256":"zz","size":1}]})", "m").ok());
  EXPECT_FALSE(Manifest::Parse("not json", "m").ok());
}

}  // namespace
}  // namespace citadel::store
