#include "data/transform/text/text_tokenizer.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "data/transform/categorical/category_cells.h"

namespace citadel::data {
namespace {

constexpr int64_t kMaxNgram = 5;

bool IsWordByte(unsigned char b) {
  return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b >= 0x80;
}

}  // namespace

Result<TokenizerOptions> TokenizerOptions::Parse(const SpecReader& item, std::string_view key) {
  TokenizerOptions options;
  if (!item.Has(key)) return options;
  SpecReader t = item.Child(key);
  RETURN_IF_ERROR(t.ExpectObject({"lowercase", "ngram_range", "token_pattern"}));
  ASSIGN_OR_RETURN(options.lowercase, t.Bool("lowercase", true));
  ASSIGN_OR_RETURN(std::string pattern, t.String("token_pattern", "word"));
  RETURN_IF_ERROR(CheckChoice(t, "token_pattern", pattern, {"word"}));
  if (t.Has("ngram_range")) {
    ASSIGN_OR_RETURN(std::vector<int64_t> range, t.IntList("ngram_range", 1, kMaxNgram));
    if (range.size() != 2 || range[0] > range[1]) {
      return t.FieldError("ngram_range",
                          "expected [min, max] with 1 ≤ min ≤ max ≤ 5, "
                          "e.g. [1, 2] for words and word pairs");
    }
    options.ngram_min = range[0];
    options.ngram_max = range[1];
  }
  return options;
}

Json TokenizerOptions::ToJson() const {
  return Json{
      {"lowercase", lowercase}, {"ngram_range", {ngram_min, ngram_max}}, {"token_pattern", "word"}};
}

void ForEachTerm(std::string_view text, const TokenizerOptions& options,
                 const std::function<void(std::string_view)>& emit) {
  std::string folded(text);
  if (options.lowercase) {
    for (char& ch : folded) {
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    }
  }
  std::vector<std::string_view> words;
  const std::string_view all(folded);
  for (size_t i = 0; i < all.size();) {
    if (!IsWordByte(static_cast<unsigned char>(all[i]))) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < all.size() && IsWordByte(static_cast<unsigned char>(all[i]))) ++i;
    if (i - start <= kMaxWordBytes) words.push_back(all.substr(start, i - start));
  }
  std::string gram;
  for (int64_t n = options.ngram_min; n <= options.ngram_max; ++n) {
    const auto span = static_cast<size_t>(n);
    for (size_t i = 0; i + span <= words.size(); ++i) {
      if (span == 1) {
        emit(words[i]);
        continue;
      }
      gram.assign(words[i]);
      for (size_t k = 1; k < span; ++k) {
        gram += ' ';
        gram += words[i + k];
      }
      emit(gram);
    }
  }
}

}  // namespace citadel::data
