#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "data/expr/ast.h"
#include "data/expr/expression.h"
#include "data/expr/functions.h"

namespace citadel::data {
namespace {

using expr::Literal;
using expr::Node;
using expr::NodeKind;

std::string RenderLiteral(const Literal& l) {
  switch (l.kind) {
    case Literal::Kind::kNull:
      return "null";
    case Literal::Kind::kInt:
      return std::to_string(l.i);
    case Literal::Kind::kFloat:
      return fmt::format("f:{}", l.f);
    case Literal::Kind::kBool:
      return l.i != 0 ? "true" : "false";
    case Literal::Kind::kString:
      return "\"" + l.s + "\"";
  }
  return "?";
}

// The tree, fully parenthesised: shows precedence and associativity.
std::string Render(const expr::Ast& ast, uint32_t i) {
  const Node& n = ast.nodes[i];
  switch (n.kind) {
    case NodeKind::kLiteral:
      return RenderLiteral(n.literal);
    case NodeKind::kColumn:
      return n.column.find(' ') == std::string::npos ? n.column : "`" + n.column + "`";
    case NodeKind::kUnary:
      return n.op == expr::Op::kNot ? "(not " + Render(ast, n.args[0]) + ")"
                                    : "(-" + Render(ast, n.args[0]) + ")";
    case NodeKind::kBinary:
      return fmt::format("({} {} {})", Render(ast, n.args[0]), expr::OpText(n.op),
                         Render(ast, n.args[1]));
    case NodeKind::kIn: {
      std::string items;
      for (const Literal& l : n.list) items += (items.empty() ? "" : ", ") + RenderLiteral(l);
      return fmt::format("({} {}in [{}])", Render(ast, n.args[0]), n.negated ? "not " : "", items);
    }
    case NodeKind::kCall: {
      std::string args;
      for (uint32_t a : n.args) args += (args.empty() ? "" : ", ") + Render(ast, a);
      return fmt::format("{}({})", expr::InfoOf(n.fn).name, args);
    }
  }
  return "?";
}

std::string ParseAndRender(std::string_view text) {
  Result<Expression> e = ParseExpression(text);
  if (!e.ok()) return "error: " + e.status().message();
  return Render(e->ast(), e->ast().root);
}

struct ParseCase {
  std::string_view text;
  std::string_view tree;
};

TEST(ParseExpression, BindsOperatorsByPrecedenceAndAssociatesLeft) {
  const ParseCase cases[] = {
      {"a + b * c", "(a + (b * c))"},
      {"a * b + c", "((a * b) + c)"},
      {"a - b - c", "((a - b) - c)"},
      {"a / b / c", "((a / b) / c)"},
      {"a * b % c", "((a * b) % c)"},
      {"-a * b", "((-a) * b)"},
      {"(a + b) * c", "((a + b) * c)"},
      {"a + 1 > b * 2", "((a + 1) > (b * 2))"},
      {"a or b and c", "(a or (b and c))"},
      {"a and b or c", "((a and b) or c)"},
      {"a or b or c", "((a or b) or c)"},
      {"not a and b", "((not a) and b)"},
      {"not a == b", "(not (a == b))"},
      {"not not a", "(not (not a))"},
      {"a && b || !c", "((a and b) or (not c))"},
      {"a==b", "(a == b)"},
      {"a <> b", "(a != b)"},
      {"a<=b", "(a <= b)"},
      {"a >= b and c < d", "((a >= b) and (c < d))"},
      {"x in (\"a\", 'b')", "(x in [\"a\", \"b\"])"},
      {"x not in (1, -2, 3.5)", "(x not in [1, -2, f:3.5])"},
      {"x + 1 in (2)", "((x + 1) in [2])"},
      {"not x in (1) and y", "((not (x in [1])) and y)"},
      {"`unit price` * 2", "(`unit price` * 2)"},
      {"pow(a, 2) + min(a, b, c)", "(pow(a, 2) + min(a, b, c))"},
      {"if(a > 1, 'x', 'y')", "if((a > 1), \"x\", \"y\")"},
      {"coalesce(a)", "coalesce(a)"},
      {"_x1 + y2", "(_x1 + y2)"},
      {"log", "log"},  // a column that happens to share a function's name
      {"TRUE AND Null Or False", "((true and null) or false)"},
  };
  for (const ParseCase& c : cases) {
    EXPECT_EQ(ParseAndRender(c.text), c.tree) << c.text;
  }
}

TEST(ParseExpression, ReadsNumberAndStringConstants) {
  const ParseCase cases[] = {
      {"42", "42"},
      {"1e3", "f:1000"},
      {".5", "f:0.5"},
      {"1.5E-3", "f:0.0015"},
      {"2.", "f:2"},
      {"-2 * b", "(-2 * b)"},  // a negative constant, not a negation node
      {"- -3", "3"},
      {"a - -1", "(a - -1)"},
      {"-1.5", "f:-1.5"},
      {"99999999999999999999", "f:1e+20"},
      {"'it\\'s'", "\"it's\""},
      {"\"a\\\"b\\\\c\"", "\"a\"b\\c\""},
      {"\"tab\\there\"", "\"tab\there\""},
      {"'say \"hi\"'", "\"say \"hi\"\""},
      {"\"\"", "\"\""},
      {"\"é ✓\"", "\"é ✓\""},
  };
  for (const ParseCase& c : cases) {
    EXPECT_EQ(ParseAndRender(c.text), c.tree) << c.text;
  }
}

struct ErrorCase {
  std::string_view text;
  size_t offset;
  std::string_view says;
};

TEST(ParseExpression, ErrorsSayTheOffsetAndWhatWasExpected) {
  const ErrorCase cases[] = {
      {"age >= ", 7, "expected a value"},
      {"", 0, "expected a value"},
      {"   ", 3, "expected a value"},
      {"a +", 3, "expected a value"},
      {"a + + b", 4, "expected a value, got '+'"},
      {"(a + b", 6, "expected ')'"},
      {"a + b)", 5, "expected an operator or the end of the expression, got ')'"},
      {"a b", 2, "got 'b'"},
      {"x not y", 2, "got 'not'"},
      {"a = 1", 2, "compare with =="},
      {"a ^ 2", 2, "pow(x, y)"},
      {"a & b", 2, "write and"},
      {"a | b", 2, "write or"},
      {"a # b", 2, "unexpected character '#'"},
      {"a \x01", 2, "unexpected byte 0x01"},
      {"'abc", 0, "unterminated string"},
      {"x == \"abc\\", 5, "unterminated string"},
      {"\"a\\q\"", 2, "unknown escape"},
      {"`abc", 0, "unterminated `name`"},
      {"``", 0, "empty column name"},
      {"1abc", 0, "malformed number '1a'"},
      {"1.2.3", 0, "malformed number"},
      {"1e", 0, "digits after the exponent"},
      {"1e999", 0, "out of the range"},
      {"foo(1)", 0, "unknown function 'foo' (functions: abs, ceil,"},
      {"x + abs(1, 2)", 4, "abs() takes 1 argument, got 2"},
      {"round()", 0, "round() takes 1 or 2 arguments, got 0"},
      {"min()", 0, "min() takes at least 1 argument, got 0"},
      {"clip(x, 1)", 0, "clip() takes 3 arguments, got 2"},
      {"abs(1,)", 6, "expected a value, got ')'"},
      {"abs(1 2)", 6, "expected ',' or ')'"},
      {"a < b < c", 6, "comparisons do not chain"},
      {"a == b in (1)", 7, "comparisons do not chain"},
      {"x in 1", 5, "expected '(' and a list of constants"},
      {"x in ()", 6, "expected a constant"},
      {"x in (y)", 6, "expected a constant"},
      {"x in (1 + 2)", 8, "expected ',' or ')'"},
      {"x in (null)", 6, "test is_null(x)"},
      {"x in (-'a')", 7, "only numbers can be negated"},
  };
  for (const ErrorCase& c : cases) {
    Result<Expression> e = ParseExpression(c.text);
    ASSERT_FALSE(e.ok()) << c.text;
    const std::string m = e.status().message();
    EXPECT_NE(m.find(fmt::format("at offset {}: ", c.offset)), std::string::npos)
        << c.text << " → " << m;
    EXPECT_NE(m.find(c.says), std::string::npos) << c.text << " → " << m;
    EXPECT_EQ(m.rfind("expression '", 0), 0u) << m;
  }
}

TEST(ParseExpression, ErrorMessageQuotesTheExpression) {
  Result<Expression> e = ParseExpression("age >= ");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(e.status().message(), "expression 'age >= ' at offset 7: expected a value");
}

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

TEST(ParseExpression, NestingIsLimitedTo64Levels) {
  EXPECT_TRUE(ParseExpression(Repeat("(", 64) + "a" + Repeat(")", 64)).ok());
  EXPECT_TRUE(ParseExpression(Repeat("-", 64) + "a").ok());
  EXPECT_TRUE(ParseExpression(Repeat("abs(", 64) + "a" + Repeat(")", 64)).ok());
  const std::string too_deep[] = {
      Repeat("(", 65) + "a" + Repeat(")", 65),    Repeat("-", 65) + "a", Repeat("not ", 65) + "a",
      Repeat("abs(", 65) + "a" + Repeat(")", 65), Repeat("(", 60000),  // hostile: must fail fast,
                                                                       // not recurse 60000 times
  };
  for (const std::string& text : too_deep) {
    Result<Expression> e = ParseExpression(text);
    ASSERT_FALSE(e.ok()) << text.substr(0, 20);
    EXPECT_NE(e.status().message().find("more than 64 levels of nesting"), std::string::npos)
        << e.status();
  }
}

TEST(ParseExpression, LongOperatorChainsAreLimitedBy256TreeLevels) {
  // a + a + … with k operators is k + 1 levels deep.
  EXPECT_TRUE(ParseExpression("a" + Repeat(" + a", 255)).ok());
  Result<Expression> e = ParseExpression("a" + Repeat(" + a", 256));
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("more than 256 levels deep"), std::string::npos)
      << e.status();
}

TEST(ParseExpression, TextLongerThan64KiBIsRejectedBeforeParsing) {
  std::string at_limit = "x == \"" + std::string(kMaxExpressionLength - 7, 'a') + "\"";
  ASSERT_EQ(at_limit.size(), kMaxExpressionLength);
  EXPECT_TRUE(ParseExpression(at_limit).ok());
  Result<Expression> e = ParseExpression(at_limit + " ");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("65537 bytes long; at most 65536"), std::string::npos)
      << e.status();
  // The message quotes a bounded prefix, not 64 KiB of text.
  EXPECT_LT(e.status().message().size(), 300u);
}

TEST(ParseExpression, RejectsInvalidUtf8) {
  Result<Expression> e = ParseExpression("x == \"\xff\"");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("not valid UTF-8"), std::string::npos);
}

TEST(ParseExpression, KeepsTheTextVerbatimAndCopiesShareIt) {
  Result<Expression> e = ParseExpression("  a  +  1 ");
  ASSERT_TRUE(e.ok());
  Expression copy = *e;
  EXPECT_EQ(copy.text(), "  a  +  1 ");
  EXPECT_EQ(&copy.ast(), &e->ast());
}

TEST(ReferencedColumns, ListsEachColumnOnceInReadingOrder) {
  Result<Expression> e = ParseExpression("b + a * b + `c d` > log(x) and x in (1)");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(ReferencedColumns(*e), (std::vector<std::string>{"b", "a", "c d", "x"}));
  Result<Expression> constant = ParseExpression("1 + 2");
  ASSERT_TRUE(constant.ok());
  EXPECT_TRUE(ReferencedColumns(*constant).empty());
}

TEST(ShortenForMessage, CutsOnACharacterBoundary) {
  EXPECT_EQ(ShortenForMessage("abc", 3), "abc");
  EXPECT_EQ(ShortenForMessage("abcd", 3), "abc…");
  // "é" is two bytes; a cut after 2 bytes would split it.
  EXPECT_EQ(ShortenForMessage("aé", 2), "a…");
}

}  // namespace
}  // namespace citadel::data
