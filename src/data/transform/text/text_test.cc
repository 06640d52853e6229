#include <gtest/gtest.h>

#include <cmath>

#include "data/testing/table_fixtures.h"

namespace citadel::data {
namespace {

using testing::FloatColumn;
using testing::IntColumn;
using testing::MakeTable;
using testing::StringColumn;
using Floats = std::vector<double>;

std::vector<std::string> Names(const Table& t) {
  std::vector<std::string> names;
  for (const Column& c : t.columns) names.push_back(c.name);
  return names;
}

Status FitOn(std::string_view yaml, Table& t, std::vector<size_t> fit_rows) {
  auto tr = testing::Transform(yaml);
  if (!tr.ok()) return tr.status();
  return testing::FitStoreApply(**tr, t, fit_rows);
}

Status FitAll(std::string_view yaml, Table& t) { return FitOn(yaml, t, testing::AllRows(t)); }

double Cell(const Table& t, std::string_view column, size_t row) {
  const Column* c = t.Find(column);
  EXPECT_NE(c, nullptr) << column;
  return c == nullptr ? NAN : c->floats[row];
}

TEST(Text, TfidfMatchesAHandComputedThreeDocumentCorpus) {
  // Fit on documents 0-2 (n = 3): df the=3, cat=2, sat=2, dog=1, so
  //   idf(the) = ln(4/4) + 1 = 1, idf(cat) = idf(sat) = ln(4/3) + 1 = 1.2876820724517808,
  //   idf(dog) = ln(4/2) + 1 = 1.6931471805599454.
  // Row 0 "the cat sat": (1, c, c) / sqrt(1 + 2c²) with c = idf(cat).
  // Row 3 is held out: "a" and "bird" are not in the vocabulary, "sat" alone has norm 1.
  Table t =
      MakeTable({FloatColumn("id", {1, 2, 3, 4}),
                 StringColumn("doc", {"The cat sat", "the dog sat.", "the  CAT", "a bird sat"})});
  ASSERT_TRUE(FitOn("{ op: text, column: doc }", t, {0, 1, 2}).ok());
  EXPECT_EQ(Names(t), (std::vector<std::string>{"id", "doc:cat", "doc:dog", "doc:sat", "doc:the"}));
  const double kTol = 1e-12;
  EXPECT_NEAR(Cell(t, "doc:the", 0), 0.48133416873660545, kTol);
  EXPECT_NEAR(Cell(t, "doc:cat", 0), 0.6198053799406072, kTol);
  EXPECT_NEAR(Cell(t, "doc:sat", 0), 0.6198053799406072, kTol);
  EXPECT_EQ(Cell(t, "doc:dog", 0), 0.0);
  EXPECT_NEAR(Cell(t, "doc:dog", 1), 0.7203334490549893, kTol);
  EXPECT_NEAR(Cell(t, "doc:sat", 1), 0.5478321549274363, kTol);
  EXPECT_NEAR(Cell(t, "doc:the", 1), 0.4254405389711991, kTol);
  EXPECT_NEAR(Cell(t, "doc:cat", 2), 0.7898069290660905, kTol);
  EXPECT_NEAR(Cell(t, "doc:the", 2), 0.6133555370249717, kTol);
  EXPECT_DOUBLE_EQ(Cell(t, "doc:sat", 3), 1.0);
  EXPECT_EQ(Cell(t, "doc:cat", 3) + Cell(t, "doc:the", 3), 0.0);
  EXPECT_EQ(t.Find("doc:cat")->sources, (std::vector<std::string>{"doc"}));
}

TEST(Text, SublinearTfUsesOnePlusLogCount) {
  // One document: every idf is ln(2/2) + 1 = 1; tf(cat) = 1 + ln 3, tf(dog) = 1.
  Table t = MakeTable({StringColumn("d", {"cat cat cat dog"})});
  ASSERT_TRUE(FitAll("{ op: text, column: d, sublinear_tf: true }", t).ok());
  EXPECT_NEAR(Cell(t, "d:cat", 0), 0.9027501480103624, 1e-12);
  EXPECT_NEAR(Cell(t, "d:dog", 0), 0.430165282498796, 1e-12);
}

TEST(Text, CountsWithBigramsAreRawAndUnnormalised) {
  Table t = MakeTable({StringColumn("d", {"a b a", "b a"})});
  ASSERT_TRUE(
      FitAll("{ op: text, column: d, mode: counts, tokenizer: { ngram_range: [1, 2] } }", t).ok());
  EXPECT_EQ(Names(t), (std::vector<std::string>{"d:a", "d:a b", "d:b", "d:b a"}));
  EXPECT_EQ(t.Find("d:a")->floats, (Floats{2, 1}));
  EXPECT_EQ(t.Find("d:a b")->floats, (Floats{1, 0}));
  EXPECT_EQ(t.Find("d:b")->floats, (Floats{1, 1}));
  EXPECT_EQ(t.Find("d:b a")->floats, (Floats{1, 1}));
}

TEST(Text, DocumentFrequencyBoundsAndMaxFeaturesPruneTheVocabulary) {
  // df: x = 3, y = 2, z = 1; total counts x = 3, y = 2, z = 1.
  auto make = [] { return MakeTable({StringColumn("d", {"x y z", "x y", "x"})}); };
  Table min_df = make();
  ASSERT_TRUE(FitAll("{ op: text, column: d, mode: counts, min_df: 2 }", min_df).ok());
  EXPECT_EQ(Names(min_df), (std::vector<std::string>{"d:x", "d:y"}));
  Table max_df = make();  // 0.9 of 3 documents = 2.7: x (df 3) goes
  ASSERT_TRUE(FitAll("{ op: text, column: d, mode: counts, max_df: 0.9 }", max_df).ok());
  EXPECT_EQ(Names(max_df), (std::vector<std::string>{"d:y", "d:z"}));
  Table top = make();
  ASSERT_TRUE(FitAll("{ op: text, column: d, mode: counts, max_features: 1 }", top).ok());
  EXPECT_EQ(Names(top), (std::vector<std::string>{"d:x"}));
  // Equal counts: the smaller term wins.
  Table tie = MakeTable({StringColumn("d", {"c b", "a"})});
  ASSERT_TRUE(FitAll("{ op: text, column: d, mode: counts, max_features: 2 }", tie).ok());
  EXPECT_EQ(Names(tie), (std::vector<std::string>{"d:a", "d:b"}));
  Table crossed = make();
  Status s = FitAll("{ op: text, column: d, min_df: 3, max_df: 0.5 }", crossed);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("max_df"), std::string::npos) << s;
}

TEST(Text, VocabularyComesFromTheFitRowsOnly) {
  Table t = MakeTable({StringColumn("d", {"red", "blue", "green"})});
  ASSERT_TRUE(FitOn("{ op: text, column: d, mode: counts }", t, {0, 1}).ok());
  EXPECT_EQ(Names(t), (std::vector<std::string>{"d:blue", "d:red"}));
  EXPECT_EQ(t.Find("d:red")->floats, (Floats{1, 0, 0}));
  EXPECT_EQ(t.Find("d:blue")->floats, (Floats{0, 1, 0}));
}

TEST(Text, HashedModeCountsTermsPerBucketAndNormalises) {
  // Python MurmurHash3: "hello" → bucket 7 of 8, "world" → 3 of 8, "café" → 0 of 8;
  // with 4 buckets "hello" and "world" share bucket 3.
  Table t = MakeTable({StringColumn("d", {"Hello world", "café", std::nullopt})});
  ASSERT_TRUE(FitAll("{ op: text, column: d, mode: hashed, n_features: 8 }", t).ok());
  EXPECT_EQ(t.num_columns(), 8u);
  EXPECT_EQ(t.columns[0].name, "d_tok_0");
  EXPECT_NEAR(Cell(t, "d_tok_7", 0), 1 / std::sqrt(2.0), 1e-15);
  EXPECT_NEAR(Cell(t, "d_tok_3", 0), 1 / std::sqrt(2.0), 1e-15);
  EXPECT_EQ(Cell(t, "d_tok_0", 1), 1.0);
  for (const Column& c : t.columns) EXPECT_EQ(c.floats[2], 0.0) << c.name;

  Table shared = MakeTable({StringColumn("d", {"hello world"})});
  ASSERT_TRUE(
      FitAll("{ op: text, column: d, mode: hashed, n_features: 4, norm: none }", shared).ok());
  EXPECT_EQ(Cell(shared, "d_tok_3", 0), 2.0);
}

TEST(Text, MissingIsAnEmptyDocumentThatStillCountsForIdf) {
  // n = 2 (the missing row counts), df(a) = 1: idf = ln(3/2) + 1; one term per row → 1 after l2.
  Table t = MakeTable({StringColumn("d", {"a", std::nullopt})});
  auto tr = testing::Transform("{ op: text, column: d }");
  ASSERT_TRUE(tr.ok());
  ASSERT_TRUE((*tr)->Fit(t, testing::AllRows(t)).ok());
  EXPECT_DOUBLE_EQ((*tr)->ToJson()["fitted"]["idf"][0].get<double>(), std::log(1.5) + 1);
  ASSERT_TRUE((*tr)->Apply(t).ok());
  EXPECT_EQ(t.Find("d:a")->floats, (Floats{1, 0}));
  EXPECT_EQ(t.Find("d:a")->CountMissing(), 0u);
}

TEST(Text, EmptyAllMissingAndSingleRowInputs) {
  Table empty = MakeTable({StringColumn("d", {})});
  Status s = FitAll("{ op: text, column: d }", empty);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no term on the 0 training rows"), std::string::npos) << s;
  Table missing = MakeTable({StringColumn("d", {std::nullopt, std::nullopt})});
  EXPECT_FALSE(FitAll("{ op: text, column: d }", missing).ok());
  Table hashed = MakeTable({StringColumn("d", {std::nullopt})});
  ASSERT_TRUE(FitAll("{ op: text, column: d, mode: hashed, n_features: 2 }", hashed).ok());
  EXPECT_EQ(Names(hashed), (std::vector<std::string>{"d_tok_0", "d_tok_1"}));

  Table one = MakeTable({StringColumn("d", {"solo"})});
  ASSERT_TRUE(FitAll("{ op: text, column: d }", one).ok());
  EXPECT_EQ(Names(one), (std::vector<std::string>{"d:solo"}));
  EXPECT_EQ(Cell(one, "d:solo", 0), 1.0);
}

TEST(Text, MegabyteDocumentsAreTokenizedWhole) {
  std::string doc;
  for (int i = 0; i < 349525; ++i) doc += "ab ";  // 1048575 bytes, 349525 words
  Table t = MakeTable({StringColumn("d", {doc, std::string(1 << 20, 'z') + " ok"})});
  ASSERT_TRUE(FitAll("{ op: text, column: d, mode: counts }", t).ok());
  // The 1 MiB word is longer than 256 bytes, so it is dropped rather than stored.
  EXPECT_EQ(Names(t), (std::vector<std::string>{"d:ab", "d:ok"}));
  EXPECT_EQ(t.Find("d:ab")->floats, (Floats{349525, 0}));
  EXPECT_EQ(t.Find("d:ok")->floats, (Floats{0, 1}));
}

TEST(Text, WrongColumnsAndBadSpecFieldsAreRefused) {
  Table t = MakeTable({IntColumn("n", {1}), StringColumn("y", {"a"})}, "y");
  EXPECT_NE(FitAll("{ op: text, column: n }", t).message().find("not string"), std::string::npos);
  EXPECT_NE(FitAll("{ op: text, column: y }", t).message().find("label"), std::string::npos);
  EXPECT_NE(FitAll("{ op: text, column: nope }", t).message().find("'nope' not found"),
            std::string::npos);
  EXPECT_FALSE(testing::Transform("{ op: text }").ok());
  EXPECT_FALSE(testing::Transform("{ op: text, column: d, mode: bm25 }").ok());
  EXPECT_FALSE(testing::Transform("{ op: text, column: d, norm: l1 }").ok());
  EXPECT_FALSE(testing::Transform("{ op: text, column: d, min_df: 1.5 }").ok());
  EXPECT_FALSE(testing::Transform("{ op: text, column: d, max_features: 0 }").ok());
  EXPECT_FALSE(testing::Transform("{ op: text, column: d, mode: hashed, n_features: 100 }").ok());
  auto wrong_mode = testing::Transform("{ op: text, column: d, n_features: 64 }");
  ASSERT_FALSE(wrong_mode.ok());
  EXPECT_NE(wrong_mode.status().message().find("mode: hashed only"), std::string::npos);
  EXPECT_FALSE(
      testing::Transform("{ op: text, column: d, mode: counts, sublinear_tf: true }").ok());
  EXPECT_FALSE(testing::Transform("{ op: text, column: d, mode: hashed, min_df: 2 }").ok());
  EXPECT_FALSE(
      testing::Transform("{ op: text, column: d, tokenizer: { ngram_range: [2, 1] } }").ok());
  EXPECT_FALSE(
      testing::Transform("{ op: text, column: d, tokenizer: { token_pattern: '\\w+' } }").ok());
}

TEST(Text, SequenceModeWritesTokenIdsInWordOrderWithPaddingAndUnknown) {
  // Fit on rows 0-1: vocabulary (sorted) = cat 2, dog 3, sat 4, the 5.
  Table t = MakeTable({StringColumn(
      "doc", {"The cat sat", "the dog", "a dog sat on the cat", std::nullopt, "CAT"})});
  ASSERT_TRUE(FitOn("{ op: text, column: doc, mode: sequence, max_length: 4 }", t, {0, 1}).ok());
  EXPECT_EQ(Names(t),
            (std::vector<std::string>{"doc_seq_0", "doc_seq_1", "doc_seq_2", "doc_seq_3"}));
  auto row = [&](size_t r) {
    Floats ids;
    for (int i = 0; i < 4; ++i) ids.push_back(Cell(t, "doc_seq_" + std::to_string(i), r));
    return ids;
  };
  EXPECT_EQ(row(0), (Floats{5, 2, 4, 0}));
  EXPECT_EQ(row(1), (Floats{5, 3, 0, 0}));
  EXPECT_EQ(row(2), (Floats{1, 3, 4, 1})) << "'a' and 'on' are unknown (1); truncated to 4";
  EXPECT_EQ(row(3), (Floats{0, 0, 0, 0})) << "a missing cell is all padding";
  EXPECT_EQ(row(4), (Floats{2, 0, 0, 0})) << "lowercased like the fit";
  EXPECT_EQ(t.Find("doc_seq_2")->sources, (std::vector<std::string>{"doc"}));
}

TEST(Text, SequenceModeKeepsTheMostFrequentWordsAndChecksItsFields) {
  Table t = MakeTable({StringColumn("d", {"b a a", "c a b"})});
  ASSERT_TRUE(
      FitAll("{ op: text, column: d, mode: sequence, max_length: 3, max_features: 2 }", t).ok());
  // a (3) and b (2) stay, c (1) is unknown: ids a 2, b 3.
  EXPECT_EQ(t.Find("d_seq_0")->floats, (Floats{3, 1}));
  EXPECT_EQ(t.Find("d_seq_1")->floats, (Floats{2, 2}));
  EXPECT_EQ(t.Find("d_seq_2")->floats, (Floats{2, 3}));

  auto no_length = testing::Transform("{ op: text, column: d, mode: sequence }");
  ASSERT_FALSE(no_length.ok());
  EXPECT_NE(no_length.status().message().find("max_length"), std::string::npos);
  auto bigrams = testing::Transform(
      "{ op: text, column: d, mode: sequence, max_length: 8, tokenizer: { ngram_range: [1, 2] } "
      "}");
  ASSERT_FALSE(bigrams.ok());
  EXPECT_NE(bigrams.status().message().find("ngram_range must be [1, 1]"), std::string::npos);
  EXPECT_FALSE(
      testing::Transform("{ op: text, column: d, mode: sequence, max_length: 8, norm: l2 }").ok());
  EXPECT_FALSE(testing::Transform("{ op: text, column: d, mode: tfidf, max_length: 8 }").ok());
  EXPECT_FALSE(testing::Transform("{ op: text, column: d, mode: sequence, max_length: 0 }").ok());
  EXPECT_FALSE(
      testing::Transform("{ op: text, column: d, mode: sequence, max_length: 5000 }").ok());
}

TEST(Text, TamperedFittedVocabularyOrIdfIsRefused) {
  Json stored = Json::parse(R"({"op": "text", "column": "d", "mode": "tfidf",
      "fitted": {"vocabulary": ["a", "b"], "idf": [1.0]}})");
  EXPECT_FALSE(LoadFittedTransform(stored, {}, "schema.json").ok());
  stored["fitted"]["idf"] = {1.0, 0.5};
  EXPECT_FALSE(LoadFittedTransform(stored, {}, "schema.json").ok());
  stored["fitted"]["idf"] = {1.0, 2.0};
  stored["fitted"]["vocabulary"] = {"b", "a"};
  EXPECT_FALSE(LoadFittedTransform(stored, {}, "schema.json").ok());
  stored["fitted"]["vocabulary"] = {"a", "b"};
  EXPECT_TRUE(LoadFittedTransform(stored, {}, "schema.json").ok());
}

}  // namespace
}  // namespace citadel::data
