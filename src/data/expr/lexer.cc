// Splits expression text into tokens: numbers, quoted strings, names,
// backquoted names, keywords and operators, each with its byte span.
#include "data/expr/lexer.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

#include "data/expr/expression.h"

namespace citadel::data::expr {
namespace {

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool EqualsLower(std::string_view word, std::string_view keyword) {
  if (word.size() != keyword.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(word[i])) != keyword[i]) return false;
  }
  return true;
}

Tok KeywordOrIdent(std::string_view word) {
  static constexpr std::pair<std::string_view, Tok> kKeywords[] = {
      {"and", Tok::kAnd},   {"or", Tok::kOr},       {"not", Tok::kNot},  {"in", Tok::kIn},
      {"true", Tok::kTrue}, {"false", Tok::kFalse}, {"null", Tok::kNull}};
  for (const auto& [keyword, tok] : kKeywords) {
    if (EqualsLower(word, keyword)) return tok;
  }
  return Tok::kIdent;
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Result<std::vector<Token>> Run() {
    std::vector<Token> out;
    while (true) {
      while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      Token t;
      t.begin = static_cast<uint32_t>(pos_);
      if (pos_ == text_.size()) {
        t.end = t.begin;
        out.push_back(std::move(t));
        return out;
      }
      RETURN_IF_ERROR(Next(t));
      t.end = static_cast<uint32_t>(pos_);
      out.push_back(std::move(t));
    }
  }

 private:
  Status Next(Token& t) {
    const char c = text_[pos_];
    if (IsDigit(c) || (c == '.' && pos_ + 1 < text_.size() && IsDigit(text_[pos_ + 1]))) {
      return Number(t);
    }
    if (c == '"' || c == '\'') return QuotedString(t);
    if (c == '`') return BackquotedName(t);
    if (IsIdentStart(c)) {
      size_t start = pos_;
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
      t.text = std::string(text_.substr(start, pos_ - start));
      t.kind = KeywordOrIdent(t.text);
      return Status::Ok();
    }
    return Operator(t);
  }

  Status Operator(Token& t) {
    const char c = text_[pos_];
    const char next = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
    auto two = [&](Tok kind) {
      pos_ += 2;
      t.kind = kind;
      return Status::Ok();
    };
    auto one = [&](Tok kind) {
      pos_ += 1;
      t.kind = kind;
      return Status::Ok();
    };
    switch (c) {
      case '(':
        return one(Tok::kLParen);
      case ')':
        return one(Tok::kRParen);
      case ',':
        return one(Tok::kComma);
      case '+':
        return one(Tok::kPlus);
      case '-':
        return one(Tok::kMinus);
      case '*':
        return one(Tok::kStar);
      case '/':
        return one(Tok::kSlash);
      case '%':
        return one(Tok::kPercent);
      case '=':
        if (next == '=') return two(Tok::kEq);
        return SyntaxError(text_, pos_, "'=' is not an operator; compare with ==");
      case '!':
        return next == '=' ? two(Tok::kNe) : one(Tok::kNot);
      case '<':
        if (next == '>') return two(Tok::kNe);
        return next == '=' ? two(Tok::kLe) : one(Tok::kLt);
      case '>':
        return next == '=' ? two(Tok::kGe) : one(Tok::kGt);
      case '&':
        if (next == '&') return two(Tok::kAnd);
        return SyntaxError(text_, pos_, "'&' is not an operator; write and (or &&)");
      case '|':
        if (next == '|') return two(Tok::kOr);
        return SyntaxError(text_, pos_, "'|' is not an operator; write or (or ||)");
      case '^':
        return SyntaxError(text_, pos_, "'^' is not an operator; write pow(x, y)");
      default:
        break;
    }
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return SyntaxError(text_, pos_,
                         fmt::format("unexpected byte 0x{:02x}; names that are not "
                                     "[A-Za-z_][A-Za-z0-9_]* go in `backquotes`",
                                     static_cast<unsigned char>(c)));
    }
    return SyntaxError(text_, pos_, fmt::format("unexpected character '{}'", c));
  }

  Status Number(Token& t) {
    const size_t start = pos_;
    bool is_float = false;
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      is_float = true;
      ++pos_;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      is_float = true;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (pos_ == text_.size() || !IsDigit(text_[pos_])) {
        return SyntaxError(text_, start, "malformed number: expected digits after the exponent");
      }
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    if (pos_ < text_.size() && (IsIdentChar(text_[pos_]) || text_[pos_] == '.')) {
      return SyntaxError(text_, start,
                         fmt::format("malformed number '{}'",
                                     ShortenForMessage(text_.substr(start, pos_ + 1 - start))));
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (!is_float) {
      auto [end, ec] = std::from_chars(first, last, t.i);
      if (ec == std::errc() && end == last) {
        t.kind = Tok::kInt;
        return Status::Ok();
      }
      // Too large for int64: kept as a decimal, as JSON readers do.
    }
    // from_chars does not accept a leading '.'; parse "0" + text then.
    std::string buffer = text_[start] == '.' ? "0" + std::string(first, last) : "";
    if (!buffer.empty()) {
      first = buffer.data();
      last = buffer.data() + buffer.size();
    }
    auto [end, ec] = std::from_chars(first, last, t.f);
    if (ec == std::errc::result_out_of_range) {
      return SyntaxError(text_, start, "number out of the range of a double");
    }
    if (ec != std::errc() || end != last) return SyntaxError(text_, start, "malformed number");
    t.kind = Tok::kFloat;
    return Status::Ok();
  }

  Status QuotedString(Token& t) {
    const size_t start = pos_;
    const char quote = text_[pos_++];
    while (pos_ < text_.size() && text_[pos_] != quote) {
      char c = text_[pos_];
      if (c != '\\') {
        t.text += c;
        ++pos_;
        continue;
      }
      if (pos_ + 1 >= text_.size()) {
        pos_ = text_.size();  // a final backslash escapes nothing: unterminated
        break;
      }
      char e = text_[pos_ + 1];
      switch (e) {
        case '\\':
        case '"':
        case '\'':
          t.text += e;
          break;
        case 'n':
          t.text += '\n';
          break;
        case 't':
          t.text += '\t';
          break;
        case 'r':
          t.text += '\r';
          break;
        default:
          return SyntaxError(text_, pos_,
                             "unknown escape; use \\\\ \\\" \\' \\n \\t or \\r inside strings");
      }
      pos_ += 2;
    }
    if (pos_ >= text_.size()) {
      return SyntaxError(text_, start, fmt::format("unterminated string: no closing {}", quote));
    }
    ++pos_;
    t.kind = Tok::kString;
    return Status::Ok();
  }

  Status BackquotedName(Token& t) {
    const size_t start = pos_++;
    size_t close = text_.find('`', pos_);
    if (close == std::string_view::npos) {
      return SyntaxError(text_, start, "unterminated `name`: no closing backquote");
    }
    if (close == pos_) return SyntaxError(text_, start, "empty column name ``");
    t.text = std::string(text_.substr(pos_, close - pos_));
    t.kind = Tok::kQuotedIdent;
    pos_ = close + 1;
    return Status::Ok();
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

Status SyntaxError(std::string_view text, size_t offset, std::string_view message) {
  return InvalidArgumentError(fmt::format("expression '{}' at offset {}: {}",
                                          ShortenForMessage(text, 80), offset, message));
}

Result<std::vector<Token>> Tokenize(std::string_view text) { return Lexer(text).Run(); }

}  // namespace citadel::data::expr
