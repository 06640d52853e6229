// Column-at-a-time evaluation: every node turns the Vecs of its operands into
// one Vec for all rows, so the per-row work is a tight loop over arrays and
// the tree is walked once per table, not once per row.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "data/expr/binder.h"
#include "data/expr/call_eval.h"
#include "data/expr/expression.h"
#include "data/expr/vec.h"

namespace citadel::data {
namespace {

using expr::BoundNode;
using expr::Cells;
using expr::CellsOf;
using expr::Doubles;
using expr::MakeVec;
using expr::Node;
using expr::NodeKind;
using expr::Op;
using expr::Plan;
using expr::RowsOf;
using expr::Vec;
using expr::VType;

template <typename T>
std::vector<int64_t> CompareRows(Op op, Cells<T> a, Cells<T> b, size_t rows) {
  std::vector<int64_t> out(rows);
  auto run = [&](auto cmp) {
    for (size_t r = 0; r < rows; ++r) out[r] = cmp(a[r], b[r]) ? 1 : 0;
  };
  switch (op) {
    case Op::kEq:
      run(std::equal_to<>());
      break;
    case Op::kNe:
      run(std::not_equal_to<>());
      break;
    case Op::kLt:
      run(std::less<>());
      break;
    case Op::kLe:
      run(std::less_equal<>());
      break;
    case Op::kGt:
      run(std::greater<>());
      break;
    default:
      run(std::greater_equal<>());
      break;
  }
  return out;
}

class Evaluator {
 public:
  Evaluator(const Plan& plan, size_t rows) : plan_(plan), n_(rows) {}

  Vec Eval(uint32_t i) {
    const Node& node = plan_.ast->nodes[i];
    const BoundNode& bound = plan_.nodes[i];
    switch (node.kind) {
      case NodeKind::kLiteral:
        return Constant(node, bound);
      case NodeKind::kColumn:
        return ColumnCells(bound);
      case NodeKind::kUnary: {
        Vec x = Eval(node.args[0]);
        return node.op == Op::kNot ? Not(x) : Negate(x);
      }
      case NodeKind::kBinary: {
        Vec a = Eval(node.args[0]);
        Vec b = Eval(node.args[1]);
        if (node.op == Op::kAnd || node.op == Op::kOr) return Logic(node.op, a, b);
        if (bound.type == VType::kFloat) return Arithmetic(node.op, a, b);
        return Compare(node.op, bound, a, b);
      }
      case NodeKind::kIn: {
        Vec x = Eval(node.args[0]);
        return In(node, bound, x);
      }
      case NodeKind::kCall: {
        std::vector<Vec> args;
        args.reserve(node.args.size());
        for (uint32_t a : node.args) args.push_back(Eval(a));
        return expr::EvalCall(node, bound, args, n_);
      }
    }
    return expr::NullVec();
  }

 private:
  static Vec Constant(const Node& node, const BoundNode& bound) {
    Vec v;
    v.type = bound.type;
    switch (bound.type) {
      case VType::kNull:
        return expr::NullVec();
      case VType::kTimestamp:  // a string constant read as a timestamp
        v.Own(std::vector<int64_t>{bound.timestamp});
        break;
      case VType::kInt:
      case VType::kBool:
        v.ints = std::span<const int64_t>(&node.literal.i, 1);
        break;
      case VType::kFloat:
        v.floats = std::span<const double>(&node.literal.f, 1);
        break;
      case VType::kString:
        v.strings = std::span<const std::string>(&node.literal.s, 1);
        break;
    }
    return v;
  }

  static Vec ColumnCells(const BoundNode& bound) {
    const Column& c = *bound.column;
    Vec v;
    v.type = bound.type;
    v.scalar = false;
    v.ints = c.ints;
    v.floats = c.floats;
    v.strings = c.strings;
    // An all-present column needs no mask: every operator downstream skips it.
    if (std::find(c.valid.begin(), c.valid.end(), uint8_t{0}) != c.valid.end()) v.valid = c.valid;
    return v;
  }

  Vec Negate(const Vec& x) const {
    std::vector<double> buffer;
    Cells<double> a = CellsOf(Doubles(x, buffer), x.scalar);
    const size_t rows = RowsOf(n_, {&x});
    std::vector<double> out(rows);
    for (size_t r = 0; r < rows; ++r) out[r] = -a[r];
    return MakeVec(VType::kFloat, rows, std::move(out), {&x});
  }

  Vec Not(const Vec& x) const {
    Cells<int64_t> a = CellsOf(x.ints, x.scalar);
    const size_t rows = RowsOf(n_, {&x});
    std::vector<int64_t> out(rows);
    for (size_t r = 0; r < rows; ++r) out[r] = a[r] == 0 ? 1 : 0;
    return MakeVec(VType::kBool, rows, std::move(out), {&x});
  }

  Vec Arithmetic(Op op, const Vec& x, const Vec& y) const {
    std::vector<double> bx, by;
    Cells<double> a = CellsOf(Doubles(x, bx), x.scalar);
    Cells<double> b = CellsOf(Doubles(y, by), y.scalar);
    const size_t rows = RowsOf(n_, {&x, &y});
    std::vector<double> out(rows);
    auto run = [&](auto f) {
      for (size_t r = 0; r < rows; ++r) out[r] = f(a[r], b[r]);
    };
    switch (op) {
      case Op::kAdd:
        run(std::plus<>());
        break;
      case Op::kSub:
        run(std::minus<>());
        break;
      case Op::kMul:
        run(std::multiplies<>());
        break;
      case Op::kDiv:
        run(std::divides<>());
        break;
      default:
        run([](double p, double q) { return std::fmod(p, q); });
        break;
    }
    return MakeVec(VType::kFloat, rows, std::move(out), {&x, &y});
  }

  Vec Compare(Op op, const BoundNode& bound, const Vec& x, const Vec& y) const {
    const size_t rows = RowsOf(n_, {&x, &y});
    std::vector<int64_t> out;
    if (x.type == VType::kString) {
      out = CompareRows(op, CellsOf(x.strings, x.scalar), CellsOf(y.strings, y.scalar), rows);
    } else if (bound.compare_as_float) {
      std::vector<double> bx, by;
      out = CompareRows(op, CellsOf(Doubles(x, bx), x.scalar), CellsOf(Doubles(y, by), y.scalar),
                        rows);
    } else {
      out = CompareRows(op, CellsOf(x.ints, x.scalar), CellsOf(y.ints, y.scalar), rows);
    }
    return MakeVec(VType::kBool, rows, std::move(out), {&x, &y});
  }

  // Three-valued: false and null = false, true or null = true.
  Vec Logic(Op op, const Vec& x, const Vec& y) const {
    const size_t rows = RowsOf(n_, {&x, &y});
    Cells<int64_t> a = CellsOf(x.ints, x.scalar), b = CellsOf(y.ints, y.scalar);
    std::vector<int64_t> out(rows);
    std::vector<uint8_t> valid;
    const bool masked = !x.valid.empty() || !y.valid.empty();
    if (masked) valid.resize(rows);
    const bool is_and = op == Op::kAnd;
    for (size_t r = 0; r < rows; ++r) {
      const bool pa = x.present(r), pb = y.present(r);
      const bool va = pa && a[r] != 0, vb = pb && b[r] != 0;
      if (is_and) {
        out[r] = va && vb ? 1 : 0;
        if (masked) valid[r] = (pa && pb) || (pa && !va) || (pb && !vb) ? 1 : 0;
      } else {
        out[r] = va || vb ? 1 : 0;
        if (masked) valid[r] = (pa && pb) || va || vb ? 1 : 0;
      }
    }
    Vec v;
    v.type = VType::kBool;
    v.scalar = x.scalar && y.scalar;
    v.Own(std::move(out));
    v.OwnValid(std::move(valid));
    return v;
  }

  Vec In(const Node& node, const BoundNode& bound, const Vec& x) const {
    const size_t rows = RowsOf(n_, {&x});
    std::vector<int64_t> out(rows);
    const int64_t hit = node.negated ? 0 : 1;
    if (x.type == VType::kString) {
      Cells<std::string> s = CellsOf(x.strings, x.scalar);
      for (size_t r = 0; r < rows; ++r) {
        bool found = std::binary_search(bound.string_set.begin(), bound.string_set.end(), s[r]);
        out[r] = found ? hit : 1 - hit;
      }
    } else if (bound.compare_as_float) {
      std::vector<double> buffer;
      Cells<double> d = CellsOf(Doubles(x, buffer), x.scalar);
      for (size_t r = 0; r < rows; ++r) {
        // binary_search would report NaN as found: it is unordered.
        bool found = !std::isnan(d[r]) &&
                     std::binary_search(bound.float_set.begin(), bound.float_set.end(), d[r]);
        out[r] = found ? hit : 1 - hit;
      }
    } else {
      Cells<int64_t> v = CellsOf(x.ints, x.scalar);
      for (size_t r = 0; r < rows; ++r) {
        bool found = std::binary_search(bound.int_set.begin(), bound.int_set.end(), v[r]);
        out[r] = found ? hit : 1 - hit;
      }
    }
    return MakeVec(VType::kBool, rows, std::move(out), {&x});
  }

  const Plan& plan_;
  const size_t n_;
};

// Copies (or repeats, for a scalar) `v` into a column of `rows` cells.
Column ToColumn(const Vec& v, size_t rows, std::string_view name,
                std::vector<std::string> sources) {
  Column c = Column::Empty(std::string(name), expr::ToColumnType(v.type), std::move(sources));
  const size_t stride = v.stride();
  c.valid.resize(rows);
  for (size_t r = 0; r < rows; ++r) c.valid[r] = v.present(r) ? 1 : 0;
  switch (c.type) {
    case ColumnType::kFloat:
      c.floats.resize(rows);
      if (v.type == VType::kNull) break;
      for (size_t r = 0; r < rows; ++r) c.floats[r] = c.valid[r] ? v.floats[r * stride] : 0.0;
      break;
    case ColumnType::kString:
      c.strings.resize(rows);
      for (size_t r = 0; r < rows; ++r) {
        if (c.valid[r]) c.strings[r] = v.strings[r * stride];
      }
      break;
    default:
      c.ints.resize(rows);
      for (size_t r = 0; r < rows; ++r) c.ints[r] = c.valid[r] ? v.ints[r * stride] : 0;
      break;
  }
  return c;
}

}  // namespace

Result<ColumnType> TypeOf(const Expression& expression, const Table& table) {
  ASSIGN_OR_RETURN(Plan plan, expr::Bind(expression, table));
  return expr::ToColumnType(plan.nodes[plan.ast->root].type);
}

Result<Column> Evaluate(const Expression& expression, const Table& table,
                        std::string_view output_name) {
  ASSIGN_OR_RETURN(Plan plan, expr::Bind(expression, table));
  Vec v = Evaluator(plan, table.num_rows()).Eval(plan.ast->root);
  return ToColumn(v, table.num_rows(), output_name, std::move(plan.sources));
}

Result<std::vector<uint8_t>> EvaluateCondition(const Expression& expression, const Table& table,
                                               std::string_view what) {
  Result<Plan> bound = expr::Bind(expression, table);
  if (!bound.ok()) return bound.status().WithContext(what);
  Plan& plan = *bound;
  const VType type = plan.nodes[plan.ast->root].type;
  if (type != VType::kBool && type != VType::kNull) {
    return InvalidArgumentError(fmt::format(
        "{}: expression '{}' gives {} values, but a condition (true or false per row) is needed; "
        "write a comparison such as 'age >= 18'",
        what, ShortenForMessage(expression.text(), 80), expr::VTypeName(type)));
  }
  Vec v = Evaluator(plan, table.num_rows()).Eval(plan.ast->root);
  std::vector<uint8_t> keep(table.num_rows());
  if (type == VType::kNull) return keep;
  Cells<int64_t> values = CellsOf(v.ints, v.scalar);
  for (size_t r = 0; r < keep.size(); ++r) keep[r] = v.present(r) && values[r] != 0 ? 1 : 0;
  return keep;
}

}  // namespace citadel::data
