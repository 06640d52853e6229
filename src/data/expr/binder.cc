// Type checking of expressions against a table: one pass over the tree that
// assigns every node a result type, converts constants where a timestamp is
// compared, and turns every mismatch into a message that names the operand.
#include "data/expr/binder.h"

#include <fmt/format.h>

#include <algorithm>

#include "data/expr/functions.h"

namespace citadel::data::expr {
namespace {

constexpr std::string_view kTimestampForms = "write YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]";

class Binder {
 public:
  Binder(const Expression& expression, const Table& table) : ast_(expression.ast()), table_(table) {
    plan_.ast = &ast_;
    plan_.nodes.resize(ast_.nodes.size());
  }

  Result<Plan> Run() {
    RETURN_IF_ERROR(BindNode(ast_.root));
    return std::move(plan_);
  }

 private:
  Status Error(std::string_view message) const {
    return InvalidArgumentError(
        fmt::format("expression '{}': {}", ShortenForMessage(ast_.text, 80), message));
  }

  VType TypeOf(uint32_t i) const { return plan_.nodes[i].type; }

  // "column 'age' (int)", "\"DE\" (string)" or "'x + 1' (float)".
  std::string Describe(uint32_t i) const {
    const Node& n = ast_.nodes[i];
    if (n.kind == NodeKind::kColumn) {
      return fmt::format("column '{}' ({})", ShortenForMessage(n.column), VTypeName(TypeOf(i)));
    }
    if (IsStringConstant(i)) {
      return fmt::format("\"{}\" ({})", ShortenForMessage(n.literal.s), VTypeName(TypeOf(i)));
    }
    return fmt::format("'{}' ({})", ShortenForMessage(ast_.Span(n)), VTypeName(TypeOf(i)));
  }

  bool IsStringConstant(uint32_t i) const {
    const Node& n = ast_.nodes[i];
    return n.kind == NodeKind::kLiteral && n.literal.kind == Literal::Kind::kString;
  }

  // Reads the string constant `i` as a timestamp, or says why it is not one.
  Status ReadAsTimestamp(uint32_t i) {
    const std::string& text = ast_.nodes[i].literal.s;
    std::optional<int64_t> ts = ParseTimestamp(text);
    if (!ts) {
      return Error(fmt::format("\"{}\" is used as a timestamp but is not one; {}",
                               ShortenForMessage(text), kTimestampForms));
    }
    plan_.nodes[i].type = VType::kTimestamp;
    plan_.nodes[i].timestamp = *ts;
    return Status::Ok();
  }

  // Requires `i` to be a timestamp (a string constant is converted to one).
  Status ExpectTimestamp(uint32_t i, std::string_view who) {
    if (TypeOf(i) == VType::kTimestamp || TypeOf(i) == VType::kNull) return Status::Ok();
    if (IsStringConstant(i)) return ReadAsTimestamp(i);
    return Error(
        fmt::format("{} needs a timestamp, got {}; declare the column's type as "
                    "timestamp when reading it",
                    who, Describe(i)));
  }

  Status ExpectNumber(uint32_t i, std::string_view who) {
    VType t = TypeOf(i);
    if (IsNumber(t) || t == VType::kNull) return Status::Ok();
    std::string hint =
        t == VType::kTimestamp ? "; use epoch_seconds() or days_between() for timestamps" : "";
    return Error(fmt::format("{} needs a number, got {}{}", who, Describe(i), hint));
  }

  Status ExpectBool(uint32_t i, std::string_view who) {
    VType t = TypeOf(i);
    if (t == VType::kBool || t == VType::kNull) return Status::Ok();
    return Error(fmt::format("{} needs a condition (bool), got {}; compare it, e.g. x != 0", who,
                             Describe(i)));
  }

  Status ExpectString(uint32_t i, std::string_view who) {
    VType t = TypeOf(i);
    if (t == VType::kString || t == VType::kNull) return Status::Ok();
    return Error(fmt::format("{} needs a string, got {}", who, Describe(i)));
  }

  Status BindNode(uint32_t i) {
    const Node& n = ast_.nodes[i];
    for (uint32_t a : n.args) RETURN_IF_ERROR(BindNode(a));
    BoundNode& b = plan_.nodes[i];
    switch (n.kind) {
      case NodeKind::kLiteral:
        b.type = LiteralType(n.literal);
        return Status::Ok();
      case NodeKind::kColumn:
        return BindColumn(i);
      case NodeKind::kUnary:
        if (n.op == Op::kNot) {
          RETURN_IF_ERROR(ExpectBool(n.args[0], "not"));
          plan_.nodes[i].type = VType::kBool;
        } else {
          RETURN_IF_ERROR(ExpectNumber(n.args[0], "unary -"));
          plan_.nodes[i].type = VType::kFloat;
        }
        return Status::Ok();
      case NodeKind::kBinary:
        return BindBinary(i);
      case NodeKind::kIn:
        return BindIn(i);
      case NodeKind::kCall:
        return BindCall(i);
    }
    return Status::Ok();
  }

  static VType LiteralType(const Literal& l) {
    switch (l.kind) {
      case Literal::Kind::kNull:
        return VType::kNull;
      case Literal::Kind::kInt:
        return VType::kInt;
      case Literal::Kind::kFloat:
        return VType::kFloat;
      case Literal::Kind::kBool:
        return VType::kBool;
      case Literal::Kind::kString:
        return VType::kString;
    }
    return VType::kNull;
  }

  Status BindColumn(uint32_t i) {
    const Node& n = ast_.nodes[i];
    ASSIGN_OR_RETURN(
        const Column* c,
        table_.Get(n.column, fmt::format("expression '{}'", ShortenForMessage(ast_.text, 80))));
    const size_t rows = table_.num_rows();
    const size_t stored = c->type == ColumnType::kFloat    ? c->floats.size()
                          : c->type == ColumnType::kString ? c->strings.size()
                                                           : c->ints.size();
    if (c->size() != rows || stored != rows) {
      return InternalError(fmt::format("column '{}' holds {} cells for {} rows", c->name,
                                       std::max(c->size(), stored), rows));
    }
    BoundNode& b = plan_.nodes[i];
    b.column = c;
    switch (c->type) {
      case ColumnType::kInt:
        b.type = VType::kInt;
        break;
      case ColumnType::kFloat:
        b.type = VType::kFloat;
        break;
      case ColumnType::kBool:
        b.type = VType::kBool;
        break;
      case ColumnType::kString:
        b.type = VType::kString;
        break;
      case ColumnType::kTimestamp:
        b.type = VType::kTimestamp;
        break;
    }
    MergeSources(plan_.sources, c->sources);
    return Status::Ok();
  }

  Status BindBinary(uint32_t i) {
    const Node& n = ast_.nodes[i];
    const uint32_t l = n.args[0], r = n.args[1];
    const std::string op = fmt::format("'{}'", OpText(n.op));
    switch (n.op) {
      case Op::kAnd:
      case Op::kOr:
        RETURN_IF_ERROR(ExpectBool(l, op));
        RETURN_IF_ERROR(ExpectBool(r, op));
        plan_.nodes[i].type = VType::kBool;
        return Status::Ok();
      case Op::kAdd:
      case Op::kSub:
      case Op::kMul:
      case Op::kDiv:
      case Op::kMod:
        RETURN_IF_ERROR(ExpectNumber(l, op));
        RETURN_IF_ERROR(ExpectNumber(r, op));
        plan_.nodes[i].type = VType::kFloat;
        return Status::Ok();
      default:
        return BindComparison(i, l, r);
    }
  }

  Status BindComparison(uint32_t i, uint32_t l, uint32_t r) {
    if (TypeOf(l) == VType::kNull || TypeOf(r) == VType::kNull) {
      return Error("comparing with null is never true or false; test is_null(x) instead");
    }
    if (TypeOf(l) == VType::kTimestamp && IsStringConstant(r)) RETURN_IF_ERROR(ReadAsTimestamp(r));
    if (TypeOf(r) == VType::kTimestamp && IsStringConstant(l)) RETURN_IF_ERROR(ReadAsTimestamp(l));
    const VType a = TypeOf(l), b = TypeOf(r);
    BoundNode& out = plan_.nodes[i];
    out.type = VType::kBool;
    if (IsNumber(a) && IsNumber(b)) {
      out.compare_as_float = a == VType::kFloat || b == VType::kFloat;
      return Status::Ok();
    }
    if (a == b) return Status::Ok();  // two strings or two timestamps
    return Error(fmt::format("cannot compare {} with {}", Describe(l), Describe(r)));
  }

  Status BindIn(uint32_t i) {
    const Node& n = ast_.nodes[i];
    const uint32_t x = n.args[0];
    const VType t = TypeOf(x);
    BoundNode& b = plan_.nodes[i];
    b.type = VType::kBool;
    if (t == VType::kNull) {
      return Error("testing null against a list is never true or false; test is_null(x)");
    }
    bool all_integral = true;
    for (const Literal& l : n.list) {
      bool fits = false;
      if (t == VType::kString) {
        fits = l.kind == Literal::Kind::kString;
        if (fits) b.string_set.push_back(l.s);
      } else if (t == VType::kTimestamp) {
        std::optional<int64_t> ts =
            l.kind == Literal::Kind::kString ? ParseTimestamp(l.s) : std::nullopt;
        if (l.kind == Literal::Kind::kString && !ts) {
          return Error(fmt::format("\"{}\" is listed for timestamp {} but is not a timestamp; {}",
                                   ShortenForMessage(l.s), Describe(x), kTimestampForms));
        }
        fits = ts.has_value();
        if (fits) b.int_set.push_back(*ts);
      } else if (IsNumber(t)) {
        fits = l.kind == Literal::Kind::kInt || l.kind == Literal::Kind::kFloat ||
               l.kind == Literal::Kind::kBool;
        all_integral = all_integral && l.kind != Literal::Kind::kFloat;
        b.int_set.push_back(l.i);
        b.float_set.push_back(l.kind == Literal::Kind::kFloat ? l.f : static_cast<double>(l.i));
      }
      if (!fits) {
        std::string_view kind = l.kind == Literal::Kind::kString ? "string"
                                : l.kind == Literal::Kind::kBool ? "bool"
                                                                 : "number";
        return Error(
            fmt::format("{} is tested against a list holding a {}; list values of the "
                        "same type",
                        Describe(x), kind));
      }
    }
    b.compare_as_float = IsNumber(t) && (t == VType::kFloat || !all_integral);
    if (b.compare_as_float) {
      b.int_set.clear();
    } else {
      b.float_set.clear();
    }
    std::sort(b.int_set.begin(), b.int_set.end());
    std::sort(b.float_set.begin(), b.float_set.end());
    std::sort(b.string_set.begin(), b.string_set.end());
    return Status::Ok();
  }

  // The common type of `args` for coalesce / if, converting string constants
  // where the others are timestamps.
  Result<VType> Unify(const std::vector<uint32_t>& args, std::string_view who) {
    bool any_timestamp = false;
    for (uint32_t a : args) any_timestamp = any_timestamp || TypeOf(a) == VType::kTimestamp;
    if (any_timestamp) {
      for (uint32_t a : args) RETURN_IF_ERROR(ExpectTimestamp(a, who));
      return VType::kTimestamp;
    }
    std::optional<VType> common;
    uint32_t first = args[0];
    for (uint32_t a : args) {
      VType t = TypeOf(a);
      if (t == VType::kNull) continue;
      if (!common) {
        common = t;
        first = a;
      } else if (*common == t) {
        continue;
      } else if (IsNumber(*common) && IsNumber(t)) {
        common = VType::kFloat;
      } else {
        return Error(fmt::format("{} needs arguments of one type; {} does not match {}", who,
                                 Describe(a), Describe(first)));
      }
    }
    return common.value_or(VType::kNull);
  }

  Status BindCall(uint32_t i) {
    const Node& n = ast_.nodes[i];
    const std::string who = fmt::format("{}()", InfoOf(n.fn).name);
    VType result = VType::kFloat;
    switch (n.fn) {
      case Fn::kIsNull:
        result = VType::kBool;
        break;
      case Fn::kIsNan:
        RETURN_IF_ERROR(ExpectNumber(n.args[0], who));
        result = VType::kBool;
        break;
      case Fn::kCoalesce: {
        ASSIGN_OR_RETURN(result, Unify(n.args, who));
        break;
      }
      case Fn::kIf: {
        RETURN_IF_ERROR(ExpectBool(n.args[0], who));
        ASSIGN_OR_RETURN(result, Unify({n.args[1], n.args[2]}, who));
        break;
      }
      case Fn::kLength:
        RETURN_IF_ERROR(ExpectString(n.args[0], who));
        result = VType::kInt;
        break;
      case Fn::kLower:
      case Fn::kUpper:
        RETURN_IF_ERROR(ExpectString(n.args[0], who));
        result = VType::kString;
        break;
      case Fn::kContains:
      case Fn::kStartsWith:
      case Fn::kEndsWith:
        for (uint32_t a : n.args) RETURN_IF_ERROR(ExpectString(a, who));
        result = VType::kBool;
        break;
      case Fn::kYear:
      case Fn::kMonth:
      case Fn::kDay:
      case Fn::kWeekday:
      case Fn::kHour:
        RETURN_IF_ERROR(ExpectTimestamp(n.args[0], who));
        result = VType::kInt;
        break;
      case Fn::kEpochSeconds:
      case Fn::kDaysBetween:
        for (uint32_t a : n.args) RETURN_IF_ERROR(ExpectTimestamp(a, who));
        break;
      default:  // the numeric functions
        for (uint32_t a : n.args) RETURN_IF_ERROR(ExpectNumber(a, who));
        break;
    }
    plan_.nodes[i].type = result;
    return Status::Ok();
  }

  const Ast& ast_;
  const Table& table_;
  Plan plan_;
};

}  // namespace

std::string_view VTypeName(VType type) {
  switch (type) {
    case VType::kNull:
      return "null";
    case VType::kInt:
      return "int";
    case VType::kFloat:
      return "float";
    case VType::kBool:
      return "bool";
    case VType::kString:
      return "string";
    case VType::kTimestamp:
      return "timestamp";
  }
  return "?";
}

bool IsNumber(VType type) {
  return type == VType::kInt || type == VType::kFloat || type == VType::kBool;
}

ColumnType ToColumnType(VType type) {
  switch (type) {
    case VType::kInt:
      return ColumnType::kInt;
    case VType::kBool:
      return ColumnType::kBool;
    case VType::kString:
      return ColumnType::kString;
    case VType::kTimestamp:
      return ColumnType::kTimestamp;
    default:
      return ColumnType::kFloat;
  }
}

Result<Plan> Bind(const Expression& expression, const Table& table) {
  return Binder(expression, table).Run();
}

}  // namespace citadel::data::expr
