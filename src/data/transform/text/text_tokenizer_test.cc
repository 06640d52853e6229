#include "data/transform/text/text_tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/text/yaml.h"

namespace citadel::data {
namespace {

using Terms = std::vector<std::string>;

Terms Tokenize(std::string_view text, TokenizerOptions options = {}) {
  Terms out;
  ForEachTerm(text, options, [&](std::string_view t) { out.emplace_back(t); });
  return out;
}

Result<TokenizerOptions> Parse(std::string_view yaml) {
  ASSIGN_OR_RETURN(YamlDocument doc, ParseYaml(yaml, "spec.yaml"));
  return TokenizerOptions::Parse(SpecReader(doc, ""), "tokenizer");
}

TEST(TextTokenizer, WordsAreAlphanumericRunsLowercasedInAscii) {
  EXPECT_EQ(Tokenize("Hello, WORLD! it's 2024_v2"),
            (Terms{"hello", "world", "it", "s", "2024", "v2"}));
  TokenizerOptions keep_case;
  keep_case.lowercase = false;
  EXPECT_EQ(Tokenize("Hello World", keep_case), (Terms{"Hello", "World"}));
}

TEST(TextTokenizer, Utf8BytesAreWordCharactersAndAreNotFolded) {
  EXPECT_EQ(Tokenize("Café ÉTÉ—naïve"), (Terms{"café", "ÉtÉ—naïve"}));
}

TEST(TextTokenizer, EmptyAndSeparatorOnlyTextsHaveNoTerms) {
  EXPECT_TRUE(Tokenize("").empty());
  EXPECT_TRUE(Tokenize(" ,.;!\t\n").empty());
}

TEST(TextTokenizer, NgramsJoinTheRemainingWordsWithOneSpace) {
  TokenizerOptions bigrams;
  bigrams.ngram_min = 1;
  bigrams.ngram_max = 2;
  EXPECT_EQ(Tokenize("a b  c", bigrams), (Terms{"a", "b", "c", "a b", "b c"}));
  TokenizerOptions only_tri;
  only_tri.ngram_min = 3;
  only_tri.ngram_max = 3;
  EXPECT_EQ(Tokenize("a b", only_tri), Terms{});
  // The over-long word is dropped before n-grams are formed.
  EXPECT_EQ(Tokenize("a " + std::string(257, 'x') + " b", bigrams), (Terms{"a", "b", "a b"}));
  EXPECT_EQ(Tokenize(std::string(256, 'x')).size(), 1u);
}

TEST(TextTokenizer, SpecDefaultsRoundTripAndBadFieldsAreRefused) {
  auto absent = Parse("{ op: text }");
  ASSERT_TRUE(absent.ok());
  EXPECT_EQ(absent->ToJson(), Json::parse(R"({"lowercase": true, "ngram_range": [1, 1],
                                              "token_pattern": "word"})"));
  auto set = Parse("{ tokenizer: { lowercase: false, ngram_range: [2, 3] } }");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_FALSE(set->lowercase);
  EXPECT_EQ(set->ngram_min, 2);
  EXPECT_EQ(set->ngram_max, 3);
  EXPECT_FALSE(Parse("{ tokenizer: { ngram_range: [1, 6] } }").ok());
  EXPECT_FALSE(Parse("{ tokenizer: { ngram_range: [1] } }").ok());
  EXPECT_FALSE(Parse("{ tokenizer: { stop_words: english } }").ok());
  EXPECT_FALSE(Parse("{ tokenizer: { token_pattern: char } }").ok());
}

}  // namespace
}  // namespace citadel::data
