// The tokenizer of op: text — the `tokenizer:` mapping of its spec entry and
// the terms (words and word n-grams) it cuts a document into.
//
//   tokenizer: { lowercase: true, ngram_range: [1, 2], token_pattern: word }
//
// token_pattern `word` (the only one): a word is a maximal run of ASCII
// letters and digits and bytes ≥ 0x80, so UTF-8 letters of any script count
// as word characters without Unicode tables (unicode-naive: "naïve" is one
// word, but so is a run of CJK punctuation). Unlike sklearn's default
// pattern, one-character words are kept and '_' separates words.
// `lowercase` folds ASCII letters only. A word longer than 256 bytes (a
// base64 blob, a hash) is dropped, so no stored vocabulary term is huge; the
// n-grams are formed from the words that remain, joined by one space.
// Tokenizing is linear in the length of the text times the n-gram span.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "base/status.h"
#include "base/text/json.h"
#include "base/text/spec_reader.h"

namespace citadel::data {

inline constexpr size_t kMaxWordBytes = 256;

struct TokenizerOptions {
  bool lowercase = true;
  int64_t ngram_min = 1;
  int64_t ngram_max = 1;

  // Reads `key` of `item` (absent: the defaults). n-grams span at most 5 words.
  static Result<TokenizerOptions> Parse(const SpecReader& item, std::string_view key);

  // The full mapping, defaults written out.
  Json ToJson() const;
};

// Calls `emit` once per term of `text`, in order: all n-grams of the smallest
// size first. The view is valid only during the call.
void ForEachTerm(std::string_view text, const TokenizerOptions& options,
                 const std::function<void(std::string_view)>& emit);

}  // namespace citadel::data
