// Tokens of the expression language. Internal to src/data/expr.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace citadel::data::expr {

enum class Tok : uint8_t {
  kEnd,
  kInt,
  kFloat,
  kString,
  kIdent,        // bare name: column or function
  kQuotedIdent,  // `backquoted` column name
  kLParen,
  kRParen,
  kComma,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPercent,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,  // and &&
  kOr,   // or ||
  kNot,  // not !
  kIn,
  kTrue,
  kFalse,
  kNull,
};

struct Token {
  Tok kind = Tok::kEnd;
  uint32_t begin = 0, end = 0;  // byte span in the text
  int64_t i = 0;                // kInt
  double f = 0;                 // kFloat
  std::string text;             // kString (unescaped), kIdent, kQuotedIdent
};

// The tokens of `text`, ending with one kEnd at text.size(). Errors use the
// parser's format ("expression '…' at offset N: …").
Result<std::vector<Token>> Tokenize(std::string_view text);

// "expression '<text, shortened>' at offset N: <message>".
Status SyntaxError(std::string_view text, size_t offset, std::string_view message);

}  // namespace citadel::data::expr
