// The parsed form of an expression: a flat list of nodes that refer to their
// operands by index, so a tree of any shape is copied, moved and destroyed
// without recursion. Internal to src/data/expr (the parser builds it, the
// binder and the evaluator read it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace citadel::data::expr {

enum class Op : uint8_t {
  kNeg,
  kNot,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,
  kOr,
};

// The operator as written in messages ("+", "and").
std::string_view OpText(Op op);

enum class Fn : uint8_t {
  kAbs,
  kSqrt,
  kLog,
  kLog1p,
  kExp,
  kPow,
  kFloor,
  kCeil,
  kRound,
  kMin,
  kMax,
  kClip,
  kIsNull,
  kIsNan,
  kCoalesce,
  kIf,
  kLength,
  kLower,
  kUpper,
  kContains,
  kStartsWith,
  kEndsWith,
  kYear,
  kMonth,
  kDay,
  kWeekday,
  kHour,
  kEpochSeconds,
  kDaysBetween,
};

// A constant written in the text.
struct Literal {
  enum class Kind : uint8_t { kNull, kInt, kFloat, kBool, kString };
  Kind kind = Kind::kNull;
  int64_t i = 0;  // kInt, kBool (0 / 1)
  double f = 0;   // kFloat
  std::string s;  // kString
};

enum class NodeKind : uint8_t { kLiteral, kColumn, kUnary, kBinary, kCall, kIn };

struct Node {
  NodeKind kind = NodeKind::kLiteral;
  Op op = Op::kNeg;             // kUnary, kBinary
  Fn fn = Fn::kAbs;             // kCall
  bool negated = false;         // kIn: `not in`
  Literal literal;              // kLiteral
  std::string column;           // kColumn
  std::vector<Literal> list;    // kIn: the listed constants
  std::vector<uint32_t> args;   // operands, in order (kIn: the tested value)
  uint32_t begin = 0, end = 0;  // byte span in the text, for messages
  uint32_t depth = 1;           // 1 + the deepest operand
};

struct Ast {
  std::string text;
  std::vector<Node> nodes;
  uint32_t root = 0;

  // The source text of `node`, for messages.
  std::string_view Span(const Node& node) const {
    return std::string_view(text).substr(node.begin, node.end - node.begin);
  }
};

}  // namespace citadel::data::expr
