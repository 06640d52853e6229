// The functions of the expression language and what each one means.
//
// Numbers (int, float or bool arguments; the result is float; a missing
// argument gives a missing result; NaN propagates):
//   abs(x) sqrt(x) log(x) log1p(x) exp(x) floor(x) ceil(x) pow(x, y)
//   round(x) round(x, digits)   half away from zero
//   min(x, y, …) max(x, y, …)  missing if any argument is missing, NaN if any is NaN
//   clip(x, lo, hi)             lo where x < lo, hi where x > hi
// Missing values (never missing themselves, except as said):
//   is_null(x)                  true where x is missing
//   is_nan(x)                   true where the number x is NaN; false where missing
//   coalesce(a, b, …)           the first present argument (missing if none is)
//   if(cond, a, b)              a where cond is true, b where false or missing
// coalesce and if need arguments of one type: numbers mix (the result is
// float unless all are int), a string constant mixes with timestamps.
// Strings (missing in, missing out):
//   length(s)                   in Unicode code points (int)
//   lower(s) upper(s)           ASCII letters only; other bytes unchanged
//   contains(s, sub) starts_with(s, prefix) ends_with(s, suffix)   bool
// Timestamps (UTC; a string constant is read as a timestamp):
//   year(t) month(t) day(t) hour(t) weekday(t) (Monday = 0)        int
//   epoch_seconds(t)            seconds since 1970-01-01T00:00:00Z (float)
//   days_between(t1, t2)        (t2 - t1) in days, fractional (float)
#include "data/expr/functions.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace citadel::data::expr {
namespace {

constexpr FunctionInfo kFunctions[] = {
    {"abs", Fn::kAbs, 1, 1},
    {"sqrt", Fn::kSqrt, 1, 1},
    {"log", Fn::kLog, 1, 1},
    {"log1p", Fn::kLog1p, 1, 1},
    {"exp", Fn::kExp, 1, 1},
    {"pow", Fn::kPow, 2, 2},
    {"floor", Fn::kFloor, 1, 1},
    {"ceil", Fn::kCeil, 1, 1},
    {"round", Fn::kRound, 1, 2},
    {"min", Fn::kMin, 1, kVariadic},
    {"max", Fn::kMax, 1, kVariadic},
    {"clip", Fn::kClip, 3, 3},
    {"is_null", Fn::kIsNull, 1, 1},
    {"is_nan", Fn::kIsNan, 1, 1},
    {"coalesce", Fn::kCoalesce, 1, kVariadic},
    {"if", Fn::kIf, 3, 3},
    {"length", Fn::kLength, 1, 1},
    {"lower", Fn::kLower, 1, 1},
    {"upper", Fn::kUpper, 1, 1},
    {"contains", Fn::kContains, 2, 2},
    {"starts_with", Fn::kStartsWith, 2, 2},
    {"ends_with", Fn::kEndsWith, 2, 2},
    {"year", Fn::kYear, 1, 1},
    {"month", Fn::kMonth, 1, 1},
    {"day", Fn::kDay, 1, 1},
    {"weekday", Fn::kWeekday, 1, 1},
    {"hour", Fn::kHour, 1, 1},
    {"epoch_seconds", Fn::kEpochSeconds, 1, 1},
    {"days_between", Fn::kDaysBetween, 2, 2},
};

}  // namespace

const FunctionInfo* FindFunction(std::string_view name) {
  for (const FunctionInfo& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const FunctionInfo& InfoOf(Fn fn) {
  for (const FunctionInfo& f : kFunctions) {
    if (f.fn == fn) return f;
  }
  return kFunctions[0];  // unreachable: every Fn is listed above
}

std::string FunctionNames() {
  std::vector<std::string_view> names;
  for (const FunctionInfo& f : kFunctions) names.push_back(f.name);
  std::sort(names.begin(), names.end());
  std::string out;
  for (std::string_view name : names) out += fmt::format("{}{}", out.empty() ? "" : ", ", name);
  return out;
}

}  // namespace citadel::data::expr
