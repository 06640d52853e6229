// Recursive-descent parser from tokens to the flat Ast, one function per
// precedence level (loosest first), with the nesting and depth limits that
// keep recursion bounded.
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "base/text/utf8.h"
#include "data/expr/ast.h"
#include "data/expr/expression.h"
#include "data/expr/functions.h"
#include "data/expr/lexer.h"

namespace citadel::data {
namespace {

using expr::Ast;
using expr::Literal;
using expr::Node;
using expr::NodeKind;
using expr::Op;
using expr::Tok;
using expr::Token;

bool IsComparison(Tok t) {
  return t == Tok::kEq || t == Tok::kNe || t == Tok::kLt || t == Tok::kLe || t == Tok::kGt ||
         t == Tok::kGe;
}

Op ComparisonOp(Tok t) {
  switch (t) {
    case Tok::kEq:
      return Op::kEq;
    case Tok::kNe:
      return Op::kNe;
    case Tok::kLt:
      return Op::kLt;
    case Tok::kLe:
      return Op::kLe;
    case Tok::kGt:
      return Op::kGt;
    default:
      return Op::kGe;
  }
}

class Parser {
 public:
  Parser(Ast& ast, std::vector<Token> tokens) : ast_(ast), tokens_(std::move(tokens)) {}

  Result<uint32_t> ParseAll() {
    ASSIGN_OR_RETURN(uint32_t root, Or());
    if (Peek().kind != Tok::kEnd) return Expected("an operator or the end of the expression");
    return root;
  }

 private:
  // Counts one level of nesting for as long as it lives.
  class Nest {
   public:
    explicit Nest(size_t& depth) : depth_(depth) { ++depth_; }
    ~Nest() { --depth_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;

   private:
    size_t& depth_;
  };

  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  const Token& Take() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }

  Status Error(size_t offset, std::string_view message) const {
    return expr::SyntaxError(ast_.text, offset, message);
  }

  // "expected <what>[, got '<token>']" at the current token.
  Status Expected(std::string_view what) const {
    const Token& t = Peek();
    if (t.kind == Tok::kEnd) return Error(t.begin, fmt::format("expected {}", what));
    std::string_view got = std::string_view(ast_.text).substr(t.begin, t.end - t.begin);
    return Error(t.begin, fmt::format("expected {}, got '{}'", what, ShortenForMessage(got)));
  }

  Status CheckNesting(size_t offset) const {
    if (nesting_ <= kMaxNesting) return Status::Ok();
    return Error(offset, fmt::format("more than {} levels of nesting (parentheses, calls and "
                                     "unary operators); simplify the expression",
                                     kMaxNesting));
  }

  Result<uint32_t> Add(Node node) {
    for (uint32_t a : node.args) node.depth = std::max(node.depth, ast_.nodes[a].depth + 1);
    if (node.depth > kMaxTreeDepth) {
      return Error(node.begin, fmt::format("the expression is more than {} levels deep (each "
                                           "operator in a chain such as a + b + … adds one); "
                                           "split it or use min/max/coalesce",
                                           kMaxTreeDepth));
    }
    ast_.nodes.push_back(std::move(node));
    return static_cast<uint32_t>(ast_.nodes.size() - 1);
  }

  Result<uint32_t> Operator(NodeKind kind, Op op, std::vector<uint32_t> args, uint32_t begin) {
    Node n;
    n.kind = kind;
    n.op = op;
    n.begin = begin;
    n.end = ast_.nodes[args.back()].end;
    n.args = std::move(args);
    return Add(std::move(n));
  }

  Result<uint32_t> Or() {
    ASSIGN_OR_RETURN(uint32_t left, And());
    while (Peek().kind == Tok::kOr) {
      Take();
      ASSIGN_OR_RETURN(uint32_t right, And());
      ASSIGN_OR_RETURN(left,
                       Operator(NodeKind::kBinary, Op::kOr, {left, right}, ast_.nodes[left].begin));
    }
    return left;
  }

  Result<uint32_t> And() {
    ASSIGN_OR_RETURN(uint32_t left, Not());
    while (Peek().kind == Tok::kAnd) {
      Take();
      ASSIGN_OR_RETURN(uint32_t right, Not());
      ASSIGN_OR_RETURN(
          left, Operator(NodeKind::kBinary, Op::kAnd, {left, right}, ast_.nodes[left].begin));
    }
    return left;
  }

  Result<uint32_t> Not() {
    if (Peek().kind != Tok::kNot) return Comparison();
    const uint32_t begin = Take().begin;
    Nest nest(nesting_);
    RETURN_IF_ERROR(CheckNesting(begin));
    ASSIGN_OR_RETURN(uint32_t x, Not());
    return Operator(NodeKind::kUnary, Op::kNot, {x}, begin);
  }

  Result<uint32_t> Comparison() {
    ASSIGN_OR_RETURN(uint32_t left, Additive());
    const uint32_t begin = ast_.nodes[left].begin;
    uint32_t result = left;
    if (Peek().kind == Tok::kIn) {
      Take();
      ASSIGN_OR_RETURN(result, InList(left, false));
    } else if (Peek().kind == Tok::kNot && Peek(1).kind == Tok::kIn) {
      Take();
      Take();
      ASSIGN_OR_RETURN(result, InList(left, true));
    } else if (IsComparison(Peek().kind)) {
      Op op = ComparisonOp(Take().kind);
      ASSIGN_OR_RETURN(uint32_t right, Additive());
      ASSIGN_OR_RETURN(result, Operator(NodeKind::kBinary, op, {left, right}, begin));
    } else {
      return left;
    }
    if (IsComparison(Peek().kind) || Peek().kind == Tok::kIn) {
      return Error(Peek().begin, "comparisons do not chain; join them with and (a < b and b < c)");
    }
    return result;
  }

  Result<uint32_t> Additive() {
    ASSIGN_OR_RETURN(uint32_t left, Multiplicative());
    while (Peek().kind == Tok::kPlus || Peek().kind == Tok::kMinus) {
      Op op = Take().kind == Tok::kPlus ? Op::kAdd : Op::kSub;
      ASSIGN_OR_RETURN(uint32_t right, Multiplicative());
      ASSIGN_OR_RETURN(left,
                       Operator(NodeKind::kBinary, op, {left, right}, ast_.nodes[left].begin));
    }
    return left;
  }

  Result<uint32_t> Multiplicative() {
    ASSIGN_OR_RETURN(uint32_t left, Unary());
    while (Peek().kind == Tok::kStar || Peek().kind == Tok::kSlash ||
           Peek().kind == Tok::kPercent) {
      Tok t = Take().kind;
      Op op = t == Tok::kStar ? Op::kMul : t == Tok::kSlash ? Op::kDiv : Op::kMod;
      ASSIGN_OR_RETURN(uint32_t right, Unary());
      ASSIGN_OR_RETURN(left,
                       Operator(NodeKind::kBinary, op, {left, right}, ast_.nodes[left].begin));
    }
    return left;
  }

  Result<uint32_t> Unary() {
    if (Peek().kind != Tok::kMinus) return Primary();
    const uint32_t begin = Take().begin;
    Nest nest(nesting_);
    RETURN_IF_ERROR(CheckNesting(begin));
    ASSIGN_OR_RETURN(uint32_t x, Unary());
    Node& operand = ast_.nodes[x];
    // A negative constant stays a constant, so `x in (-1, 2)` and folding work.
    if (operand.kind == NodeKind::kLiteral && operand.literal.kind == Literal::Kind::kInt &&
        operand.literal.i != std::numeric_limits<int64_t>::min()) {
      operand.literal.i = -operand.literal.i;
      operand.begin = begin;
      return x;
    }
    if (operand.kind == NodeKind::kLiteral && operand.literal.kind == Literal::Kind::kFloat) {
      operand.literal.f = -operand.literal.f;
      operand.begin = begin;
      return x;
    }
    return Operator(NodeKind::kUnary, Op::kNeg, {x}, begin);
  }

  Result<uint32_t> LiteralNode(Literal literal, const Token& t) {
    Node n;
    n.kind = NodeKind::kLiteral;
    n.literal = std::move(literal);
    n.begin = t.begin;
    n.end = t.end;
    return Add(std::move(n));
  }

  // The constant at the current token, if it is one.
  std::optional<Literal> TakeConstant() {
    const Token& t = Peek();
    Literal l;
    switch (t.kind) {
      case Tok::kInt:
        l.kind = Literal::Kind::kInt;
        l.i = t.i;
        break;
      case Tok::kFloat:
        l.kind = Literal::Kind::kFloat;
        l.f = t.f;
        break;
      case Tok::kString:
        l.kind = Literal::Kind::kString;
        l.s = t.text;
        break;
      case Tok::kTrue:
      case Tok::kFalse:
        l.kind = Literal::Kind::kBool;
        l.i = t.kind == Tok::kTrue ? 1 : 0;
        break;
      case Tok::kNull:
        break;
      default:
        return std::nullopt;
    }
    Take();
    return l;
  }

  Result<uint32_t> Primary() {
    const Token& t = Peek();
    if (std::optional<Literal> constant = TakeConstant()) {
      return LiteralNode(std::move(*constant), t);
    }
    if (t.kind == Tok::kIdent && Peek(1).kind == Tok::kLParen) return Call();
    if (t.kind == Tok::kIdent || t.kind == Tok::kQuotedIdent) {
      Node n;
      n.kind = NodeKind::kColumn;
      n.column = t.text;
      n.begin = t.begin;
      n.end = t.end;
      Take();
      return Add(std::move(n));
    }
    if (t.kind == Tok::kLParen) {
      Take();
      Nest nest(nesting_);
      RETURN_IF_ERROR(CheckNesting(t.begin));
      ASSIGN_OR_RETURN(uint32_t x, Or());
      if (Peek().kind != Tok::kRParen) return Expected("')'");
      Take();
      return x;
    }
    return Expected("a value");
  }

  Result<uint32_t> Call() {
    const Token& name = Take();
    Take();  // (
    Nest nest(nesting_);
    RETURN_IF_ERROR(CheckNesting(name.begin));
    const expr::FunctionInfo* info = expr::FindFunction(name.text);
    if (info == nullptr) {
      return Error(name.begin, fmt::format("unknown function '{}' (functions: {})",
                                           ShortenForMessage(name.text), expr::FunctionNames()));
    }
    Node n;
    n.kind = NodeKind::kCall;
    n.fn = info->fn;
    n.begin = name.begin;
    if (Peek().kind != Tok::kRParen) {
      while (true) {
        ASSIGN_OR_RETURN(uint32_t arg, Or());
        n.args.push_back(arg);
        if (Peek().kind == Tok::kComma) {
          Take();
          continue;
        }
        if (Peek().kind == Tok::kRParen) break;
        return Expected("',' or ')'");
      }
    }
    n.end = Take().end;  // )
    const size_t count = n.args.size();
    if (count < info->min_args || count > info->max_args) {
      std::string want = info->max_args == expr::kVariadic
                             ? fmt::format("at least {}", info->min_args)
                         : info->min_args == info->max_args
                             ? fmt::format("{}", info->min_args)
                             : fmt::format("{} or {}", info->min_args, info->max_args);
      return Error(name.begin, fmt::format("{}() takes {} argument{}, got {}", info->name, want,
                                           want == "1" || want == "at least 1" ? "" : "s", count));
    }
    return Add(std::move(n));
  }

  Result<uint32_t> InList(uint32_t x, bool negated) {
    if (Peek().kind != Tok::kLParen) return Expected("'(' and a list of constants after in");
    Node n;
    n.kind = NodeKind::kIn;
    n.negated = negated;
    n.begin = ast_.nodes[x].begin;
    n.args = {x};
    Take();
    while (true) {
      bool negative = false;
      if (Peek().kind == Tok::kMinus) {
        Take();
        negative = true;
      }
      if (Peek().kind == Tok::kNull) {
        return Error(Peek().begin,
                     "null never matches in a list (comparing with null is unknown); test "
                     "is_null(x) instead");
      }
      const Token& t = Peek();
      std::optional<Literal> constant = TakeConstant();
      if (!constant || (negative && constant->kind != Literal::Kind::kInt &&
                        constant->kind != Literal::Kind::kFloat)) {
        if (constant) return Error(t.begin, "only numbers can be negated");
        return Expected("a constant (the list of in holds constants only)");
      }
      if (negative) {
        constant->i = -constant->i;
        constant->f = -constant->f;
      }
      n.list.push_back(std::move(*constant));
      if (Peek().kind == Tok::kComma) {
        Take();
        continue;
      }
      if (Peek().kind == Tok::kRParen) break;
      return Expected("',' or ')'");
    }
    n.end = Take().end;
    return Add(std::move(n));
  }

  Ast& ast_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  size_t nesting_ = 0;
};

}  // namespace

Result<Expression> ParseExpression(std::string_view text) {
  if (text.size() > kMaxExpressionLength) {
    return expr::SyntaxError(text, kMaxExpressionLength,
                             fmt::format("the expression is {} bytes long; at most {} are allowed",
                                         text.size(), kMaxExpressionLength));
  }
  if (!IsValidUtf8(text)) {
    return InvalidArgumentError("expression is not valid UTF-8 text; check the spec's encoding");
  }
  auto ast = std::make_shared<Ast>();
  ast->text = std::string(text);
  ASSIGN_OR_RETURN(std::vector<Token> tokens, expr::Tokenize(text));
  Parser parser(*ast, std::move(tokens));
  ASSIGN_OR_RETURN(ast->root, parser.ParseAll());
  return Expression(std::move(ast));
}

}  // namespace citadel::data
