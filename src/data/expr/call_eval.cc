// Evaluation of the expression functions (their meaning is documented in
// functions.cc), one tight loop over the rows per call.
#include "data/expr/call_eval.h"

#include <cmath>
#include <limits>
#include <string_view>

namespace citadel::data::expr {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerHour = 3'600 * kMicrosPerSecond;
constexpr int64_t kMicrosPerDay = 24 * kMicrosPerHour;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && (a < 0) != (b < 0)) --q;
  return q;
}

int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

std::vector<const Vec*> Pointers(const std::vector<Vec>& args) {
  std::vector<const Vec*> out;
  for (const Vec& a : args) out.push_back(&a);
  return out;
}

template <typename F>
Vec Numeric1(const Vec& x, size_t n, F f) {
  std::vector<double> buffer;
  Cells<double> a = CellsOf(Doubles(x, buffer), x.scalar);
  const size_t rows = RowsOf(n, {&x});
  std::vector<double> out(rows);
  for (size_t r = 0; r < rows; ++r) out[r] = f(a[r]);
  return MakeVec(VType::kFloat, rows, std::move(out), {&x});
}

template <typename F>
Vec Numeric2(const Vec& x, const Vec& y, size_t n, F f) {
  std::vector<double> bx, by;
  Cells<double> a = CellsOf(Doubles(x, bx), x.scalar);
  Cells<double> b = CellsOf(Doubles(y, by), y.scalar);
  const size_t rows = RowsOf(n, {&x, &y});
  std::vector<double> out(rows);
  for (size_t r = 0; r < rows; ++r) out[r] = f(a[r], b[r]);
  return MakeVec(VType::kFloat, rows, std::move(out), {&x, &y});
}

double RoundDigits(double x, double digits) {
  const double d = std::round(digits);
  // Scale by an exact power of ten in both directions (10^-2 is not exact).
  const double scale = std::pow(10.0, std::fabs(d));
  if (d >= 0) {
    const double scaled = x * scale;
    // Already exact at that precision (or not a finite number at all).
    if (!std::isfinite(scaled)) return x;
    return std::round(scaled) / scale;
  }
  if (std::isinf(scale)) return std::isfinite(x) ? 0.0 : x;
  return std::round(x / scale) * scale;
}

Vec Clip(const Vec& x, const Vec& lo, const Vec& hi, size_t n) {
  std::vector<double> bx, bl, bh;
  Cells<double> v = CellsOf(Doubles(x, bx), x.scalar);
  Cells<double> l = CellsOf(Doubles(lo, bl), lo.scalar);
  Cells<double> h = CellsOf(Doubles(hi, bh), hi.scalar);
  const size_t rows = RowsOf(n, {&x, &lo, &hi});
  std::vector<double> out(rows);
  for (size_t r = 0; r < rows; ++r) out[r] = v[r] < l[r] ? l[r] : v[r] > h[r] ? h[r] : v[r];
  return MakeVec(VType::kFloat, rows, std::move(out), {&x, &lo, &hi});
}

// min / max over the arguments; NaN wins so that it is never hidden.
Vec Extreme(const std::vector<Vec>& args, size_t n, bool is_min) {
  std::vector<const Vec*> inputs = Pointers(args);
  const size_t rows = RowsOf(n, inputs);
  std::vector<double> out(rows), buffer;
  for (size_t k = 0; k < args.size(); ++k) {
    Cells<double> b = CellsOf(Doubles(args[k], buffer), args[k].scalar);
    if (k == 0) {
      for (size_t r = 0; r < rows; ++r) out[r] = b[r];
    } else if (is_min) {
      for (size_t r = 0; r < rows; ++r)
        out[r] = std::isnan(out[r]) || out[r] < b[r] ? out[r] : b[r];
    } else {
      for (size_t r = 0; r < rows; ++r)
        out[r] = std::isnan(out[r]) || out[r] > b[r] ? out[r] : b[r];
    }
  }
  return MakeVec(VType::kFloat, rows, std::move(out), inputs);
}

// A bool result that is never missing.
Vec Flags(std::vector<int64_t> values, bool scalar) {
  Vec v;
  v.type = VType::kBool;
  v.scalar = scalar;
  v.Own(std::move(values));
  return v;
}

Vec IsNull(const Vec& x, size_t n) {
  if (x.valid.empty()) return Flags({0}, true);
  const size_t rows = RowsOf(n, {&x});
  std::vector<int64_t> out(rows);
  for (size_t r = 0; r < rows; ++r) out[r] = x.present(r) ? 0 : 1;
  return Flags(std::move(out), x.scalar);
}

Vec IsNan(const Vec& x, size_t n) {
  if (x.type != VType::kFloat) return Flags({0}, true);
  const size_t rows = RowsOf(n, {&x});
  Cells<double> v = CellsOf(x.floats, x.scalar);
  std::vector<int64_t> out(rows);
  for (size_t r = 0; r < rows; ++r) out[r] = x.present(r) && std::isnan(v[r]) ? 1 : 0;
  return Flags(std::move(out), x.scalar);
}

// Per row, the value of from[pick(r)] (missing when that one is missing).
template <typename T, typename Pick>
Vec SelectAs(VType type, size_t rows, bool scalar, const std::vector<const Vec*>& from,
             const std::vector<Cells<T>>& cells, Pick pick) {
  std::vector<T> out(rows);
  std::vector<uint8_t> valid(rows);
  for (size_t r = 0; r < rows; ++r) {
    const size_t k = pick(r);
    if (k < from.size() && from[k]->present(r)) {
      out[r] = cells[k][r];
      valid[r] = 1;
    }
  }
  Vec v;
  v.type = type;
  v.scalar = scalar;
  v.Own(std::move(out));
  v.OwnValid(std::move(valid));
  return v;
}

template <typename Pick>
Vec Select(VType type, size_t rows, bool scalar, const std::vector<const Vec*>& from, Pick pick) {
  if (type == VType::kNull) return NullVec();
  if (type == VType::kFloat) {
    std::vector<std::vector<double>> buffers(from.size());
    std::vector<Cells<double>> cells;
    for (size_t k = 0; k < from.size(); ++k) {
      cells.push_back(CellsOf(Doubles(*from[k], buffers[k]), from[k]->scalar));
    }
    return SelectAs(type, rows, scalar, from, cells, pick);
  }
  if (type == VType::kString) {
    std::vector<Cells<std::string>> cells;
    for (const Vec* v : from) cells.push_back(CellsOf(v->strings, v->scalar));
    return SelectAs(type, rows, scalar, from, cells, pick);
  }
  std::vector<Cells<int64_t>> cells;
  for (const Vec* v : from) cells.push_back(CellsOf(v->ints, v->scalar));
  return SelectAs(type, rows, scalar, from, cells, pick);
}

Vec Coalesce(VType type, const std::vector<Vec>& args, size_t n) {
  std::vector<const Vec*> from = Pointers(args);
  const size_t rows = RowsOf(n, from);
  return Select(type, rows, RowsOf(2, from) == 1, from, [&](size_t r) {
    for (size_t k = 0; k < from.size(); ++k) {
      if (from[k]->present(r)) return k;
    }
    return from.size();
  });
}

Vec If(VType type, const std::vector<Vec>& args, size_t n) {
  const Vec& cond = args[0];
  const size_t rows = RowsOf(n, {&args[0], &args[1], &args[2]});
  const bool scalar = RowsOf(2, {&args[0], &args[1], &args[2]}) == 1;
  Cells<int64_t> c = CellsOf(cond.ints, cond.scalar);
  return Select(type, rows, scalar, {&args[1], &args[2]},
                [&](size_t r) { return cond.present(r) && c[r] != 0 ? size_t{0} : size_t{1}; });
}

template <typename T, typename F>
Vec MapStrings(VType type, const Vec& x, size_t n, F f) {
  Cells<std::string> s = CellsOf(x.strings, x.scalar);
  const size_t rows = RowsOf(n, {&x});
  std::vector<T> out(rows);
  for (size_t r = 0; r < rows; ++r) out[r] = f(s[r]);
  return MakeVec(type, rows, std::move(out), {&x});
}

template <typename F>
Vec StringTest(const Vec& x, const Vec& y, size_t n, F f) {
  Cells<std::string> a = CellsOf(x.strings, x.scalar), b = CellsOf(y.strings, y.scalar);
  const size_t rows = RowsOf(n, {&x, &y});
  std::vector<int64_t> out(rows);
  for (size_t r = 0; r < rows; ++r) out[r] = f(std::string_view(a[r]), b[r]) ? 1 : 0;
  return MakeVec(VType::kBool, rows, std::move(out), {&x, &y});
}

std::string AsciiCase(const std::string& s, bool upper) {
  std::string out = s;
  for (char& c : out) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

template <typename T, typename F>
Vec MapTimestamps(VType type, const Vec& x, size_t n, F f) {
  Cells<int64_t> t = CellsOf(x.ints, x.scalar);
  const size_t rows = RowsOf(n, {&x});
  std::vector<T> out(rows);
  for (size_t r = 0; r < rows; ++r) out[r] = f(t[r]);
  return MakeVec(type, rows, std::move(out), {&x});
}

Vec DaysBetween(const Vec& x, const Vec& y, size_t n) {
  Cells<int64_t> a = CellsOf(x.ints, x.scalar), b = CellsOf(y.ints, y.scalar);
  const size_t rows = RowsOf(n, {&x, &y});
  std::vector<double> out(rows);
  for (size_t r = 0; r < rows; ++r) {
    int64_t diff = 0;
    // Exact in integers unless the difference itself overflows.
    out[r] = __builtin_sub_overflow(b[r], a[r], &diff)
                 ? (static_cast<double>(b[r]) - static_cast<double>(a[r])) / kMicrosPerDay
                 : static_cast<double>(diff) / kMicrosPerDay;
  }
  return MakeVec(VType::kFloat, rows, std::move(out), {&x, &y});
}

}  // namespace

Vec EvalCall(const Node& node, const BoundNode& bound, std::vector<Vec>& args, size_t n) {
  switch (node.fn) {
    case Fn::kAbs:
      return Numeric1(args[0], n, [](double x) { return std::fabs(x); });
    case Fn::kSqrt:
      return Numeric1(args[0], n, [](double x) { return std::sqrt(x); });
    case Fn::kLog:
      return Numeric1(args[0], n, [](double x) { return std::log(x); });
    case Fn::kLog1p:
      return Numeric1(args[0], n, [](double x) { return std::log1p(x); });
    case Fn::kExp:
      return Numeric1(args[0], n, [](double x) { return std::exp(x); });
    case Fn::kFloor:
      return Numeric1(args[0], n, [](double x) { return std::floor(x); });
    case Fn::kCeil:
      return Numeric1(args[0], n, [](double x) { return std::ceil(x); });
    case Fn::kRound:
      if (args.size() == 1) return Numeric1(args[0], n, [](double x) { return std::round(x); });
      return Numeric2(args[0], args[1], n, RoundDigits);
    case Fn::kPow:
      return Numeric2(args[0], args[1], n, [](double x, double y) { return std::pow(x, y); });
    case Fn::kMin:
    case Fn::kMax:
      return Extreme(args, n, node.fn == Fn::kMin);
    case Fn::kClip:
      return Clip(args[0], args[1], args[2], n);
    case Fn::kIsNull:
      return IsNull(args[0], n);
    case Fn::kIsNan:
      return IsNan(args[0], n);
    case Fn::kCoalesce:
      return Coalesce(bound.type, args, n);
    case Fn::kIf:
      return If(bound.type, args, n);
    case Fn::kLength:
      return MapStrings<int64_t>(VType::kInt, args[0], n, [](const std::string& s) {
        int64_t points = 0;
        for (char c : s) points += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        return points;
      });
    case Fn::kLower:
    case Fn::kUpper: {
      const bool upper = node.fn == Fn::kUpper;
      return MapStrings<std::string>(VType::kString, args[0], n,
                                     [upper](const std::string& s) { return AsciiCase(s, upper); });
    }
    case Fn::kContains:
      return StringTest(args[0], args[1], n, [](std::string_view s, std::string_view sub) {
        return s.find(sub) != std::string_view::npos;
      });
    case Fn::kStartsWith:
      return StringTest(args[0], args[1], n,
                        [](std::string_view s, std::string_view p) { return s.starts_with(p); });
    case Fn::kEndsWith:
      return StringTest(args[0], args[1], n,
                        [](std::string_view s, std::string_view p) { return s.ends_with(p); });
    case Fn::kYear:
      return MapTimestamps<int64_t>(VType::kInt, args[0], n, [](int64_t t) {
        return CivilFromDays(FloorDiv(t, kMicrosPerDay)).year;
      });
    case Fn::kMonth:
      return MapTimestamps<int64_t>(VType::kInt, args[0], n, [](int64_t t) {
        return CivilFromDays(FloorDiv(t, kMicrosPerDay)).month;
      });
    case Fn::kDay:
      return MapTimestamps<int64_t>(VType::kInt, args[0], n, [](int64_t t) {
        return CivilFromDays(FloorDiv(t, kMicrosPerDay)).day;
      });
    case Fn::kWeekday:  // 1970-01-01 was a Thursday (3 with Monday = 0)
      return MapTimestamps<int64_t>(VType::kInt, args[0], n, [](int64_t t) {
        return FloorMod(FloorDiv(t, kMicrosPerDay) + 3, 7);
      });
    case Fn::kHour:
      return MapTimestamps<int64_t>(VType::kInt, args[0], n, [](int64_t t) {
        return FloorMod(t, kMicrosPerDay) / kMicrosPerHour;
      });
    case Fn::kEpochSeconds:
      return MapTimestamps<double>(VType::kFloat, args[0], n, [](int64_t t) {
        return static_cast<double>(FloorDiv(t, kMicrosPerSecond)) +
               static_cast<double>(FloorMod(t, kMicrosPerSecond)) / kMicrosPerSecond;
      });
    case Fn::kDaysBetween:
      return DaysBetween(args[0], args[1], n);
  }
  return NullVec();
}

}  // namespace citadel::data::expr
