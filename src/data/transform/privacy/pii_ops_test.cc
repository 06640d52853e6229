#include "data/transform/privacy/pii_ops.h"

#include <gtest/gtest.h>

#include "data/testing/table_fixtures.h"

namespace citadel::data {
namespace {

using testing::FloatColumn;
using testing::IntColumn;
using testing::MakeTable;
using testing::StringColumn;

// Expected HMACs and key ids are from Python's hmac / hashlib:
//   HMAC-SHA256("test-pii-key", "alice@example.com") = b84761e116f5bf3017e9a34dd3e95071…
//   HMAC-SHA256("test-pii-key", "")                  = 42e7a6cb097728956c00f0e47ae8f3a2…
//   SHA-256("citadel-pii-key-id" "test-pii-key")     = 332771f8…
//   SHA-256("citadel-pii-key-id" "other-key")        = 58eb4bfb…
TransformEnv KeyEnv(std::string key = "test-pii-key") {
  TransformEnv env;
  env.pii_hmac_key = std::move(key);
  return env;
}

std::vector<std::string> Names(const Table& t) {
  std::vector<std::string> names;
  for (const Column& c : t.columns) names.push_back(c.name);
  return names;
}

Status FitOn(std::string_view yaml, Table& t, std::vector<size_t> fit_rows,
             const TransformEnv& env = {}) {
  auto tr = testing::Transform(yaml, env);
  if (!tr.ok()) return tr.status();
  return testing::FitStoreApply(**tr, t, fit_rows, env);
}

Status FitAll(std::string_view yaml, Table& t, const TransformEnv& env = {}) {
  return FitOn(yaml, t, testing::AllRows(t), env);
}

TEST(Redact, KindReplacesEachMatchWithItsKindName) {
  Table t =
      MakeTable({StringColumn("note", {"mail alice@example.com or call +1 415 555 0132",
                                       "card 4111111111111111.", "nothing here", std::nullopt})});
  ASSERT_TRUE(FitAll("{ op: redact, columns: note }", t).ok());
  const Column& c = t.columns[0];
  EXPECT_EQ(c.strings[0], "mail [EMAIL] or call [PHONE]");
  EXPECT_EQ(c.strings[1], "card [PAYMENT_CARD].");
  EXPECT_EQ(c.strings[2], "nothing here");
  EXPECT_FALSE(c.is_valid(3));
  EXPECT_EQ(c.sources, (std::vector<std::string>{"note"}));
}

TEST(Redact, MaskReplacesTheWholeCellOnlyWhereThereIsPii) {
  Table t = MakeTable({StringColumn("note", {"ip 10.0.0.1 seen", "clean", ""})});
  ASSERT_TRUE(FitAll("{ op: redact, columns: [note], replacement: mask }", t).ok());
  EXPECT_EQ(t.columns[0].strings, (std::vector<std::string>{"***", "clean", ""}));
}

TEST(Redact, MegabyteCellIsRedactedWhole) {
  std::string huge = std::string(1 << 20, 'x') + " alice@example.com";
  Table t = MakeTable({StringColumn("note", {huge})});
  ASSERT_TRUE(FitAll("{ op: redact, columns: note }", t).ok());
  EXPECT_EQ(t.columns[0].strings[0], std::string(1 << 20, 'x') + " [EMAIL]");
}

TEST(PiiSelection, PiiPicksStringColumnsWithFindingsOnTheFitRowsOnly) {
  // email: PII in a fit row; held: PII only in held-out row 2; y: the label;
  // n: an int column holding a card number, which drop (and only drop) takes.
  Table t = MakeTable({StringColumn("email", {"alice@example.com", "-", "-"}),
                       StringColumn("notes", {"hello", "world", "again"}),
                       StringColumn("held", {"a", "b", "bob@example.org"}),
                       IntColumn("n", {4111111111111111, 1, 2}),
                       StringColumn("y", {"carol@example.com", "x", "y"})},
                      "y");
  auto tr = testing::Transform("{ op: drop, columns: pii }");
  ASSERT_TRUE(tr.ok());
  std::vector<size_t> fit = {0, 1};
  ASSERT_TRUE((*tr)->Fit(t, fit).ok());
  Json stored = (*tr)->ToJson();
  EXPECT_EQ(stored["columns"], "pii");
  EXPECT_EQ(stored["fitted"]["columns"], Json({"email", "n"}));
  ASSERT_TRUE(testing::FitStoreApply(**tr, t, fit).ok());
  EXPECT_EQ(Names(t), (std::vector<std::string>{"notes", "held", "y"}));
}

TEST(PiiSelection, NoFindingsResolvesToNoColumnAndChangesNothing) {
  Table t = MakeTable({StringColumn("notes", {"hello"})});
  ASSERT_TRUE(FitAll("{ op: redact, columns: pii }", t).ok());
  EXPECT_EQ(t.columns[0].strings[0], "hello");
  Table empty = MakeTable({StringColumn("notes", {})});
  ASSERT_TRUE(FitAll("{ op: hash, columns: pii }", empty, KeyEnv()).ok());
  EXPECT_EQ(empty.num_columns(), 1u);
}

TEST(Hash, CellsBecomeTruncatedHmacHexAndMissingStaysMissing) {
  Table t = MakeTable({StringColumn("email", {"alice@example.com", "", std::nullopt})});
  ASSERT_TRUE(FitAll("{ op: hash, columns: email }", t, KeyEnv()).ok());
  const Column& c = t.columns[0];
  EXPECT_EQ(c.strings[0], "b84761e116f5bf3017e9a34dd3e95071");
  EXPECT_EQ(c.strings[1], "42e7a6cb097728956c00f0e47ae8f3a2");
  EXPECT_FALSE(c.is_valid(2));

  Table short_tag = MakeTable({StringColumn("email", {"alice@example.com"})});
  ASSERT_TRUE(FitAll("{ op: hash, columns: email, output_bytes: 4 }", short_tag, KeyEnv()).ok());
  EXPECT_EQ(short_tag.columns[0].strings[0], "b84761e1");
}

TEST(Hash, MegabyteCellHashesInOnePass) {
  // Python: HMAC-SHA256("test-pii-key", "x" * 2^20 + " alice@example.com")[:16 bytes].
  Table t = MakeTable({StringColumn("s", {std::string(1 << 20, 'x') + " alice@example.com"})});
  ASSERT_TRUE(FitAll("{ op: hash, columns: s }", t, KeyEnv()).ok());
  EXPECT_EQ(t.columns[0].strings[0], "16d6ead4fc18cf96373bd72471431e27");
}

TEST(Hash, RefusesToBuildWithoutTheWorkspaceKey) {
  auto tr = testing::Transform("{ op: hash, columns: email }");
  ASSERT_FALSE(tr.ok());
  EXPECT_NE(tr.status().message().find("workspace provides"), std::string::npos) << tr.status();
}

TEST(Hash, StoresTheKeyIdNeverTheKey) {
  Table t = MakeTable({StringColumn("email", {"alice@example.com"})});
  auto tr = testing::Transform("{ op: hash, columns: email }", KeyEnv());
  ASSERT_TRUE(tr.ok());
  ASSERT_TRUE((*tr)->Fit(t, testing::AllRows(t)).ok());
  Json stored = (*tr)->ToJson();
  EXPECT_EQ(stored["fitted"]["key_id"], "332771f8");
  EXPECT_EQ(stored.dump().find("test-pii-key"), std::string::npos) << stored.dump();
  EXPECT_EQ(PiiKeyId("test-pii-key"), "332771f8");
}

TEST(Hash, ApplyRefusesADifferentKey) {
  Table t = MakeTable({StringColumn("email", {"alice@example.com"})});
  auto tr = testing::Transform("{ op: hash, columns: email }", KeyEnv());
  ASSERT_TRUE(tr.ok());
  ASSERT_TRUE((*tr)->Fit(t, testing::AllRows(t)).ok());
  auto reloaded =
      LoadFittedTransform(Json::parse((*tr)->ToJson().dump()), KeyEnv("other-key"), "schema.json");
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  Status s = (*reloaded)->Apply(t);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(
      s.message().find("dataset was hashed with key id 332771f8, this workspace has 58eb4bfb"),
      std::string::npos)
      << s;
  EXPECT_EQ(t.columns[0].strings[0], "alice@example.com");
}

TEST(Drop, RemovesTheColumnsAndToleratesAnAbsentOne) {
  Table t =
      MakeTable({StringColumn("email", {"a@b.com"}), IntColumn("ssn", {1}), FloatColumn("x", {1})});
  auto tr = testing::Transform("{ op: drop, columns: [email, ssn] }");
  ASSERT_TRUE(tr.ok());
  ASSERT_TRUE(testing::FitStoreApply(**tr, t, testing::AllRows(t)).ok());
  EXPECT_EQ(Names(t), (std::vector<std::string>{"x"}));
  // A serving table that never had "ssn".
  Table serving = MakeTable({StringColumn("email", {"a@b.com"}), FloatColumn("x", {2})});
  ASSERT_TRUE((*tr)->Apply(serving).ok());
  EXPECT_EQ(Names(serving), (std::vector<std::string>{"x"}));
}

TEST(PrivacyOps, AllMissingAndSingleRowColumnsPassThrough) {
  Table missing = MakeTable({StringColumn("s", {std::nullopt, std::nullopt})});
  ASSERT_TRUE(FitAll("{ op: redact, columns: s }", missing).ok());
  ASSERT_TRUE(FitAll("{ op: hash, columns: s }", missing, KeyEnv()).ok());
  EXPECT_EQ(missing.columns[0].CountMissing(), 2u);
  Table one = MakeTable({StringColumn("s", {"+44 20 7946 0958"})});
  ASSERT_TRUE(FitAll("{ op: redact, columns: pii }", one).ok());
  EXPECT_EQ(one.columns[0].strings[0], "[PHONE]");
}

TEST(PrivacyOps, NonStringColumnsAndTheLabelAreRefusedForRewriting) {
  Table t = MakeTable({IntColumn("n", {1}), StringColumn("y", {"a@b.com"})}, "y");
  Status s = FitAll("{ op: redact, columns: n }", t);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'n' is int"), std::string::npos) << s;
  EXPECT_FALSE(FitAll("{ op: hash, columns: n }", t, KeyEnv()).ok());
  EXPECT_NE(FitAll("{ op: drop, columns: y }", t).message().find("label"), std::string::npos);
}

TEST(PrivacyOps, BadSpecFieldsAreRefused) {
  EXPECT_FALSE(testing::Transform("{ op: redact }").ok());
  EXPECT_FALSE(testing::Transform("{ op: redact, columns: s, replacement: blank }").ok());
  EXPECT_FALSE(testing::Transform("{ op: hash, columns: s, output_bytes: 2 }", KeyEnv()).ok());
  EXPECT_FALSE(testing::Transform("{ op: hash, columns: s, output_bytes: 33 }", KeyEnv()).ok());
  EXPECT_FALSE(testing::Transform("{ op: hash, columns: s, key: secret }", KeyEnv()).ok());
  EXPECT_FALSE(testing::Transform("{ op: drop, columns: s, replacement: kind }").ok());
  Json tampered = {{"op", "hash"},
                   {"columns", "s"},
                   {"output_bytes", 16},
                   {"fitted", {{"columns", {"s"}}, {"key_id", "not-hex!"}}}};
  EXPECT_FALSE(LoadFittedTransform(tampered, KeyEnv(), "schema.json").ok());
}

TEST(PrivacyOps, IsPrivacyOpNamesRedactHashAndDrop) {
  EXPECT_TRUE(IsPrivacyOp("redact"));
  EXPECT_TRUE(IsPrivacyOp("hash"));
  EXPECT_TRUE(IsPrivacyOp("drop"));
  EXPECT_FALSE(IsPrivacyOp("hash_features"));
  EXPECT_FALSE(IsPrivacyOp("one_hot"));
  EXPECT_FALSE(IsPrivacyOp(""));
}

}  // namespace
}  // namespace citadel::data
