// Parsing of the `expect:` section into Expectations.
#include "data/validate/expectation.h"

#include <fmt/format.h>

#include <limits>

namespace citadel::data {
namespace {

constexpr std::string_view kKinds[] = {"not_null",       "range",     "unique",
                                       "allowed_values", "row_count", "expr"};
constexpr double kHuge = std::numeric_limits<double>::max();

std::string KindList() {
  std::string out;
  for (std::string_view k : kKinds) out += fmt::format("{}{}", out.empty() ? "" : ", ", k);
  return out;
}

// "spec.yaml:14: expect/2": SpecReader formats "FILE:LINE: POINTER: MESSAGE".
std::string Location(const SpecReader& item) {
  std::string where = item.Error("").message();
  if (where.ends_with(": ")) where.resize(where.size() - 2);
  return where;
}

// One column name or a non-empty list of them.
Result<std::vector<std::string>> ColumnNames(const SpecReader& item, std::string_view key) {
  std::vector<std::string> names;
  if (item.json()[std::string(key)].is_string()) {
    names.push_back(item.json()[std::string(key)].get<std::string>());
  } else {
    ASSIGN_OR_RETURN(names, item.StringList(key));
  }
  if (names.empty()) return item.FieldError(key, "expected at least one column name");
  for (const std::string& n : names) {
    if (n.empty()) return item.FieldError(key, "column names must not be empty");
  }
  return names;
}

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += fmt::format("{}{}", out.empty() ? "" : ", ", n);
  return out;
}

// min / max of a range or row_count mapping: at least one, min <= max.
Status ReadBounds(const SpecReader& m, Expectation& e, double lowest, bool integers) {
  if (!m.Has("min") && !m.Has("max")) return m.Error("give min, max or both");
  for (std::string_view key : {"min", "max"}) {
    if (!m.Has(key)) continue;
    double v = 0;
    if (integers) {
      ASSIGN_OR_RETURN(int64_t n, m.Int(key, 0, std::numeric_limits<int64_t>::max()));
      v = static_cast<double>(n);
    } else {
      ASSIGN_OR_RETURN(v, m.Number(key, lowest, kHuge));
    }
    (key == "min" ? e.min : e.max) = v;
  }
  if (e.min && e.max && *e.min > *e.max) {
    return m.FieldError("max", fmt::format("max ({}) is below min ({})", *e.max, *e.min));
  }
  return Status::Ok();
}

Status ReadCheck(const SpecReader& item, std::string_view kind, Expectation& e) {
  if (kind == "not_null" || kind == "unique") {
    e.kind = kind == "unique" ? Expectation::Kind::kUnique : Expectation::Kind::kNotNull;
    ASSIGN_OR_RETURN(e.columns, ColumnNames(item, kind));
    e.name = fmt::format("{}({})", kind, Joined(e.columns));
    return Status::Ok();
  }
  if (kind == "expr") {
    e.kind = Expectation::Kind::kExpr;
    ASSIGN_OR_RETURN(std::string text, item.String("expr"));
    Result<Expression> expression = ParseExpression(text);
    if (!expression.ok()) return item.FieldError("expr", expression.status().message());
    e.expression = std::move(*expression);
    e.name = fmt::format("expr({})", ShortenForMessage(text));
    return Status::Ok();
  }
  const SpecReader m = item.Child(kind);
  if (kind == "row_count") {
    e.kind = Expectation::Kind::kRowCount;
    RETURN_IF_ERROR(m.ExpectObject({"min", "max"}));
    e.name = "row_count";
    return ReadBounds(m, e, 0, true);
  }
  if (kind == "range") {
    e.kind = Expectation::Kind::kRange;
    RETURN_IF_ERROR(m.ExpectObject({"column", "min", "max"}));
    ASSIGN_OR_RETURN(std::string column, m.String("column"));
    e.columns = {column};
    e.name = fmt::format("range({})", column);
    return ReadBounds(m, e, -kHuge, false);
  }
  e.kind = Expectation::Kind::kAllowedValues;
  RETURN_IF_ERROR(m.ExpectObject({"column", "values"}));
  ASSIGN_OR_RETURN(std::string column, m.String("column"));
  e.columns = {column};
  e.name = fmt::format("allowed_values({})", column);
  if (!m.Has("values") || !m.json()["values"].is_array() || m.json()["values"].empty()) {
    return m.FieldError("values", "expected a non-empty list of values, e.g. [DE, FR, US]");
  }
  for (const Json& v : m.json()["values"]) {
    if (!v.is_string() && !v.is_number() && !v.is_boolean()) {
      return m.FieldError("values", fmt::format("expected strings, numbers or true/false, got {}",
                                                ShortenForMessage(v.dump())));
    }
    e.values.push_back(v);
  }
  return Status::Ok();
}

Result<Expectation> ReadExpectation(const SpecReader& item) {
  if (!item.json().is_object()) {
    return item.Error(
        fmt::format("expected a mapping with one check ({}), e.g. "
                    "{{ not_null: [customer_id] }}",
                    KindList()));
  }
  std::optional<std::string_view> kind;
  for (const auto& [key, unused] : item.json().items()) {
    if (key == "severity" || key == "name") continue;
    std::optional<std::string_view> known;
    for (std::string_view k : kKinds) {
      if (k == key) known = k;
    }
    if (!known) {
      return item.FieldError(key, fmt::format("unknown field '{}' (checks: {}; options: "
                                              "severity, name)",
                                              ShortenForMessage(key), KindList()));
    }
    if (kind) {
      return item.FieldError(key, fmt::format("one check per entry: '{}' and '{}' are both "
                                              "given; write them as two entries",
                                              *kind, *known));
    }
    kind = known;
  }
  if (!kind) return item.Error(fmt::format("no check given; expected one of {}", KindList()));

  Expectation e;
  e.spec = item.json();
  e.where = Location(item);
  RETURN_IF_ERROR(ReadCheck(item, *kind, e));
  ASSIGN_OR_RETURN(std::string severity, item.String("severity", "error"));
  if (severity != "error" && severity != "warn") {
    return item.FieldError(
        "severity", fmt::format("expected error or warn, got '{}'", ShortenForMessage(severity)));
  }
  e.severity = severity == "warn" ? Severity::kWarn : Severity::kError;
  if (item.Has("name")) {
    ASSIGN_OR_RETURN(e.name, item.String("name"));
    if (e.name.empty()) return item.FieldError("name", "must not be empty");
  }
  return e;
}

}  // namespace

std::string_view SeverityName(Severity severity) {
  return severity == Severity::kWarn ? "warn" : "error";
}

std::string_view KindName(Expectation::Kind kind) { return kKinds[static_cast<size_t>(kind)]; }

Result<std::vector<Expectation>> ParseExpectations(const SpecReader& list) {
  std::vector<Expectation> out;
  if (list.json().is_null()) return out;
  if (!list.json().is_array()) {
    return list.Error("expected a list of expectations, e.g. - { not_null: [customer_id] }");
  }
  for (size_t i = 0; i < list.Size(); ++i) {
    ASSIGN_OR_RETURN(Expectation e, ReadExpectation(list.Element(i)));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace citadel::data
