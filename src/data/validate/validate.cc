// The checks behind each expectation kind: a pass over the table that counts
// violations and keeps the first few with their origin.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "base/text/utf8.h"
#include "data/clean/duplicate_rows.h"
#include "data/validate/validation_report.h"

namespace citadel::data {
namespace {

// Report text must be valid UTF-8 (it is serialised to JSON) and short.
std::string SafeText(std::string_view text, size_t max_bytes = 40) {
  std::string out = ShortenForMessage(text, max_bytes);
  if (!IsValidUtf8(out)) {
    for (char& c : out) {
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
  }
  return out;
}

std::string Number(double x) { return fmt::format("{}", x); }

class Checker {
 public:
  Checker(const Table& table, const Expectation& e, ExpectationResult& out)
      : table_(table), e_(e), out_(out) {}

  Status Run() {
    switch (e_.kind) {
      case Expectation::Kind::kNotNull:
        return NotNull();
      case Expectation::Kind::kRange:
        return Range();
      case Expectation::Kind::kUnique:
        return Unique();
      case Expectation::Kind::kAllowedValues:
        return AllowedValues();
      case Expectation::Kind::kRowCount:
        return RowCount();
      case Expectation::Kind::kExpr:
        return Expr();
    }
    return Status::Ok();
  }

 private:
  std::string What() const { return fmt::format("{} ({})", e_.where, SafeText(e_.name)); }

  Result<std::vector<const Column*>> Columns() const {
    std::vector<const Column*> out;
    for (const std::string& name : e_.columns) {
      ASSIGN_OR_RETURN(const Column* c, table_.Get(name, What()));
      out.push_back(c);
    }
    RETURN_IF_ERROR(CheckRowCount(out, table_.num_rows()));
    return out;
  }

  // Counts a violation at `row`; the texts are built only for the ones kept.
  template <typename Describe>
  void Violate(size_t row, Describe describe) {
    ++out_.violations;
    if (out_.rows.size() >= kMaxReportedRows) return;
    Violation v;
    v.row_id = table_.row_ids[row];
    v.where = table_.Where(row);
    describe(v);
    out_.rows.push_back(std::move(v));
  }

  Status NotNull() {
    ASSIGN_OR_RETURN(std::vector<const Column*> cols, Columns());
    out_.rule = "no missing cells";
    for (size_t r = 0; r < table_.num_rows(); ++r) {
      for (const Column* c : cols) {
        if (c->is_valid(r)) continue;
        Violate(r, [&](Violation& v) {
          v.column = SafeText(c->name);
          v.detail = "is missing";
        });
      }
    }
    return Status::Ok();
  }

  Status Range() {
    ASSIGN_OR_RETURN(std::vector<const Column*> cols, Columns());
    const Column& c = *cols[0];
    if (!c.is_numeric()) {
      return InvalidArgumentError(
          fmt::format("{}: range needs a numeric column; column '{}' is {}{}", What(),
                      SafeText(c.name), ColumnTypeName(c.type),
                      c.type == ColumnType::kTimestamp
                          ? "; for dates write { expr: 'signup >= \"2020-01-01\"' }"
                          : "; for categories use allowed_values"));
    }
    const double lo = e_.min.value_or(-std::numeric_limits<double>::infinity());
    const double hi = e_.max.value_or(std::numeric_limits<double>::infinity());
    out_.rule = e_.min && e_.max ? fmt::format("allowed range {} … {}", Number(lo), Number(hi))
                : e_.min         ? fmt::format("allowed range ≥ {}", Number(lo))
                                 : fmt::format("allowed range ≤ {}", Number(hi));
    for (size_t r = 0; r < table_.num_rows(); ++r) {
      if (!c.is_valid(r)) continue;
      const double x = c.AsDouble(r);
      if (!std::isnan(x) && x >= lo && x <= hi) continue;
      Violate(r, [&](Violation& v) {
        v.column = SafeText(c.name);
        v.value = c.CellText(r);
      });
    }
    return Status::Ok();
  }

  Status Unique() {
    ASSIGN_OR_RETURN(std::vector<const Column*> cols, Columns());
    out_.rule = cols.size() == 1 ? "values must be unique" : "combinations must be unique";
    std::vector<size_t> first = FirstEqualRows(cols, table_.num_rows());
    std::string names;
    for (const Column* c : cols) names += fmt::format("{}{}", names.empty() ? "" : ", ", c->name);
    for (size_t r = 0; r < first.size(); ++r) {
      if (first[r] == r) continue;
      // Rows with a missing key cell are not compared (SQL's UNIQUE).
      bool any_missing = false;
      for (const Column* c : cols) any_missing = any_missing || !c->is_valid(r);
      if (any_missing) continue;
      Violate(r, [&](Violation& v) {
        v.column = SafeText(names, 80);
        std::string values;
        for (const Column* c : cols) {
          values += fmt::format("{}{}", values.empty() ? "" : ", ", c->CellText(r));
        }
        v.value = SafeText(values, 80);
        v.detail = fmt::format("first seen at {}", table_.Where(first[r]));
      });
    }
    return Status::Ok();
  }

  Status AllowedValues() {
    ASSIGN_OR_RETURN(std::vector<const Column*> cols, Columns());
    const Column& c = *cols[0];
    std::set<std::string> strings;
    std::set<int64_t> ints;
    std::set<double> floats;
    std::string listed;
    for (size_t i = 0; i < e_.values.size(); ++i) {
      const Json& v = e_.values[i];
      const std::string text = v.is_string() ? v.get<std::string>() : v.dump();
      if (i < 10) listed += fmt::format("{}{}", i == 0 ? "" : ", ", SafeText(text));
      bool fits = true;
      switch (c.type) {
        case ColumnType::kString:
          strings.insert(text);
          break;
        case ColumnType::kInt:
          fits = v.is_number_integer();
          if (fits) ints.insert(v.get<int64_t>());
          break;
        case ColumnType::kBool:
          fits = v.is_boolean();
          if (fits) ints.insert(v.get<bool>() ? 1 : 0);
          break;
        case ColumnType::kFloat:
          fits = v.is_number();
          if (fits) floats.insert(v.get<double>());
          break;
        case ColumnType::kTimestamp: {
          std::optional<int64_t> t = v.is_string() ? ParseTimestamp(text) : std::nullopt;
          fits = t.has_value();
          if (fits) ints.insert(*t);
          break;
        }
      }
      if (!fits) {
        return InvalidArgumentError(fmt::format(
            "{}: value {} cannot occur in column '{}' ({}); list values of the column's type",
            What(), SafeText(v.dump()), SafeText(c.name), ColumnTypeName(c.type)));
      }
    }
    if (e_.values.size() > 10) listed += fmt::format(", … ({} in all)", e_.values.size());
    out_.rule = fmt::format("allowed: {}", listed);
    for (size_t r = 0; r < table_.num_rows(); ++r) {
      if (!c.is_valid(r)) continue;
      bool allowed = c.type == ColumnType::kString ? strings.count(c.strings[r]) > 0
                     // NaN is equivalent to everything under <: test it first.
                     : c.type == ColumnType::kFloat
                         ? !std::isnan(c.floats[r]) && floats.count(c.floats[r]) > 0
                         : ints.count(c.ints[r]) > 0;
      if (allowed) continue;
      Violate(r, [&](Violation& v) {
        v.column = SafeText(c.name);
        v.value = SafeText(c.CellText(r));
      });
    }
    return Status::Ok();
  }

  Status RowCount() {
    const size_t n = table_.num_rows();
    const double rows = static_cast<double>(n);
    out_.rule = e_.min && e_.max
                    ? fmt::format("allowed {} … {} rows", Number(*e_.min), Number(*e_.max))
                : e_.min ? fmt::format("at least {} rows", Number(*e_.min))
                         : fmt::format("at most {} rows", Number(*e_.max));
    if ((e_.min && rows < *e_.min) || (e_.max && rows > *e_.max)) {
      out_.violations = 1;
      Violation v;
      v.where = table_.source;
      v.value = fmt::format("the table has {} row{}", n, n == 1 ? "" : "s");
      out_.rows.push_back(std::move(v));
    }
    return Status::Ok();
  }

  Status Expr() {
    const Expression& e = *e_.expression;
    Result<Column> result = Evaluate(e, table_, "expect");
    if (!result.ok()) return result.status().WithContext(What());
    if (result->type != ColumnType::kBool) {
      return InvalidArgumentError(fmt::format(
          "{}: expression '{}' gives {} values, but a condition (true or false per row) is "
          "needed; write a comparison such as 'income >= 0'",
          What(), SafeText(e.text(), 80), ColumnTypeName(result->type)));
    }
    out_.rule = fmt::format("expression '{}' must be true", SafeText(e.text(), 80));
    std::vector<const Column*> read;
    for (const std::string& name : ReferencedColumns(e)) read.push_back(table_.Find(name));
    const Column& holds = *result;
    for (size_t r = 0; r < holds.size(); ++r) {
      if (holds.is_valid(r) && holds.ints[r] != 0) continue;
      Violate(r, [&](Violation& v) {
        std::string cells;
        for (size_t i = 0; i < read.size() && i < 4; ++i) {
          const Column& c = *read[i];
          cells += fmt::format("{}{} = {}", i == 0 ? "" : ", ", SafeText(c.name),
                               c.is_valid(r) ? SafeText(c.CellText(r)) : "(missing)");
        }
        v.value = cells.empty() ? "row" : cells;
        v.detail = holds.is_valid(r) ? "it is false" : "it is null";
      });
    }
    return Status::Ok();
  }

  const Table& table_;
  const Expectation& e_;
  ExpectationResult& out_;
};

}  // namespace

Result<ValidationReport> Validate(const Table& table,
                                  const std::vector<Expectation>& expectations) {
  ValidationReport report;
  for (const Expectation& e : expectations) {
    ExpectationResult r;
    r.name = e.name;
    r.kind = e.kind;
    r.severity = e.severity;
    r.spec = e.spec;
    RETURN_IF_ERROR(Checker(table, e, r).Run());
    r.passed = r.violations == 0;
    report.results.push_back(std::move(r));
  }
  return report;
}

}  // namespace citadel::data
