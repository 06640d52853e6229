// cast: converts columns to another type, cell by cell.
//
//   { op: cast, columns: [zip, age], to: string }
//   { op: cast, columns: signup, to: timestamp, on_error: null }
//
// Spec fields: columns (required); to: int | float | bool | string |
// timestamp (the aliases of ParseColumnType, such as categorical, too);
// on_error: fail (default) | null. Fitted: {"columns": [...], "types": [...]}
// — the type of each column at fit, which Apply requires again.
//
// Conversions of a present cell (missing cells stay missing):
//   string → int        an integer literal (" -7 ", "+3", "007"), or a number
//                       by the float rule below that is integral ("1e3", "4.0")
//   string → float      ParseNumber's rule (data/ingest/number.h): a finite
//                       decimal or scientific literal; "nan" and "inf" are not
//   string → bool       true/false, yes/no, 1/0, any case, spaces around ignored
//   string → timestamp  ParseTimestamp (ISO 8601 date or date-time, with an
//                       optional offset, normalised to UTC), spaces ignored
//   float → int, timestamp   integral values in the int64 range only; NaN and
//                       ±inf are conversion errors like any other
//   float → bool        0 and 1 only;    int → bool   0 and 1 only
//   int → float         exact up to 2^53, the nearest double beyond
//   int ↔ timestamp     microseconds since the Unix epoch
//   timestamp → float   microseconds
//   bool → int, float   0 / 1
//   any → string        Column::CellText: decimal ints, the shortest
//                       round-trip form of floats ("0.1", "nan", "-inf"),
//                       "true"/"false", ISO 8601 UTC timestamps
// bool ↔ timestamp is refused at fit; a column already of type `to` is left
// unchanged. A cell that does not convert is an error naming
// table.Where(row), the column and the value (on_error: fail), or becomes
// missing (on_error: null). The table is unchanged when Apply fails.
#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>

#include "data/ingest/cells/number.h"
#include "data/transform/column_selection.h"
#include "data/transform/numeric/numeric_ops.h"

namespace citadel::data {
namespace {

constexpr std::string_view kOp = "cast";
constexpr double kTwo63 = 9223372036854775808.0;  // 2^63, exact as a double

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<int64_t> IntegralValue(double x) {
  if (x != std::trunc(x) || x < -kTwo63 || x >= kTwo63) return std::nullopt;  // NaN fails too
  return static_cast<int64_t>(x);
}

std::optional<int64_t> ParseInt(std::string_view text) {
  std::string_view t = Trim(text);
  if (t.size() > 1 && t.front() == '+' && t[1] != '-') t.remove_prefix(1);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec == std::errc() && end == t.data() + t.size() && !t.empty()) return v;
  std::optional<double> d = ParseNumber(text);
  return d ? IntegralValue(*d) : std::nullopt;
}

std::optional<int64_t> ParseBool(std::string_view text) {
  std::string_view t = Trim(text);
  if (t.size() > 5) return std::nullopt;
  std::string lower;
  for (char c : t) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "true" || lower == "yes" || lower == "1") return 1;
  if (lower == "false" || lower == "no" || lower == "0") return 0;
  return std::nullopt;
}

std::optional<int64_t> ZeroOrOne(double x) {
  if (x == 0 || x == 1) return static_cast<int64_t>(x);
  return std::nullopt;
}

bool Supported(ColumnType from, ColumnType to) {
  return !((from == ColumnType::kBool && to == ColumnType::kTimestamp) ||
           (from == ColumnType::kTimestamp && to == ColumnType::kBool));
}

// The present cell `r` of `in` as an int-stored value of type `to` (int,
// bool or timestamp); nullopt when it does not convert.
std::optional<int64_t> ToIntStored(const Column& in, size_t r, ColumnType to) {
  if (in.type == ColumnType::kString) {
    if (to == ColumnType::kBool) return ParseBool(in.strings[r]);
    if (to == ColumnType::kTimestamp) return ParseTimestamp(Trim(in.strings[r]));
    return ParseInt(in.strings[r]);
  }
  if (to == ColumnType::kBool) return ZeroOrOne(in.AsDouble(r));
  if (in.type == ColumnType::kFloat) return IntegralValue(in.floats[r]);
  return in.ints[r];
}

std::optional<double> ToFloat(const Column& in, size_t r) {
  if (in.type == ColumnType::kString) return ParseNumber(in.strings[r]);
  return in.AsDouble(r);
}

class Cast : public ColumnTransform {
 public:
  Cast(ColumnSelection selection, std::string to_text, ColumnType to, bool null_on_error)
      : selection_(std::move(selection)),
        to_text_(std::move(to_text)),
        to_(to),
        null_on_error_(null_on_error) {}

  std::string_view op() const override { return kOp; }

  Status Fit(const Table& table, std::span<const size_t>) override {
    ASSIGN_OR_RETURN(columns_, selection_.Resolve(table, kOp));
    types_.clear();
    for (const std::string& name : columns_) {
      const Column& c = *table.Find(name);
      if (!Supported(c.type, to_)) {
        return InvalidArgumentError(fmt::format(
            "{}: column '{}' is {}, which has no conversion to {}; cast it to int first", kOp, name,
            ColumnTypeName(c.type), ColumnTypeName(to_)));
      }
      types_.push_back(c.type);
    }
    return Status::Ok();
  }

  Status Apply(Table& table) const override {
    std::vector<Column*> cols;
    for (size_t i = 0; i < columns_.size(); ++i) {
      ASSIGN_OR_RETURN(Column * c, GetFittedType(table, columns_[i], types_[i], kOp));
      cols.push_back(c);
    }
    std::vector<Column> out;
    for (Column* c : cols) {
      if (c->type == to_) continue;
      ASSIGN_OR_RETURN(Column converted, Convert(table, *c));
      out.push_back(std::move(converted));
    }
    for (Column& c : out) *table.Find(c.name) = std::move(c);
    return Status::Ok();
  }

  Json ToJson() const override {
    return {{"op", kOp},
            {"columns", selection_.ToJson()},
            {"to", to_text_},
            {"on_error", null_on_error_ ? "null" : "fail"},
            {"fitted", {{"columns", columns_}, {"types", TypeNames(types_)}}}};
  }

  Status LoadFitted(const Json& fitted) override {
    ASSIGN_OR_RETURN(columns_, FittedField<std::vector<std::string>>(fitted, "columns", kOp));
    ASSIGN_OR_RETURN(types_, FittedTypes(fitted, columns_.size(), kOp));
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (!Supported(types_[i], to_)) {
        return InvalidArgumentError(fmt::format("{}: fitted type {} of '{}' cannot be cast to {}",
                                                kOp, ColumnTypeName(types_[i]), columns_[i],
                                                ColumnTypeName(to_)));
      }
    }
    return Status::Ok();
  }

 private:
  Result<Column> Convert(const Table& table, const Column& in) const {
    Column out = Column::Empty(in.name, to_, in.sources);
    for (size_t r = 0; r < in.size(); ++r) {
      if (!in.is_valid(r)) {
        out.AppendMissing();
        continue;
      }
      bool ok = true;
      if (to_ == ColumnType::kString) {
        out.Append(in.CellText(r));
      } else if (to_ == ColumnType::kFloat) {
        std::optional<double> v = ToFloat(in, r);
        ok = v.has_value();
        if (ok) out.Append(*v);
      } else {
        std::optional<int64_t> v = ToIntStored(in, r, to_);
        ok = v.has_value();
        if (ok) out.Append(*v);
      }
      if (!ok && null_on_error_) out.AppendMissing();
      if (!ok && !null_on_error_) {
        return CellError(table, r, kOp, in,
                         fmt::format("does not convert from {} to {}{}; fix the value, or set "
                                     "on_error: null to make such cells missing",
                                     ColumnTypeName(in.type), ColumnTypeName(to_), Rule()));
      }
    }
    return out;
  }

  // What `to_` accepts, for the error message.
  std::string_view Rule() const {
    switch (to_) {
      case ColumnType::kInt:
        return " (an integral number in the int64 range)";
      case ColumnType::kFloat:
        return " (a finite decimal or scientific number)";
      case ColumnType::kBool:
        return " (true/false, yes/no or 1/0)";
      case ColumnType::kTimestamp:
        return " (an ISO 8601 date or date-time, or an integral number of microseconds)";
      case ColumnType::kString:
        break;
    }
    return "";
  }

  ColumnSelection selection_;
  std::string to_text_;
  ColumnType to_;
  bool null_on_error_;
  std::vector<std::string> columns_;
  std::vector<ColumnType> types_;
};

Result<std::unique_ptr<ColumnTransform>> MakeCast(const SpecReader& item, const TransformEnv&) {
  RETURN_IF_ERROR(item.ExpectObject({"op", "columns", "to", "on_error"}));
  ASSIGN_OR_RETURN(ColumnSelection sel, ColumnSelection::Parse(item));
  ASSIGN_OR_RETURN(std::string to_text, item.String("to"));
  std::optional<ColumnType> to = ParseColumnType(to_text);
  if (!to) {
    return item.FieldError("to", fmt::format("unknown type '{}' (types: int, float, bool, "
                                             "string, timestamp)",
                                             to_text));
  }
  ASSIGN_OR_RETURN(bool null_on_error, FailOrNull(item, "on_error"));
  return std::unique_ptr<ColumnTransform>(
      std::make_unique<Cast>(std::move(sel), std::move(to_text), *to, null_on_error));
}

}  // namespace

void AddCastOps(std::vector<TransformOp>& ops) { ops.push_back({"cast", MakeCast}); }

}  // namespace citadel::data
