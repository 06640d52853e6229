// ordinal: each category of a categorical column becomes an int code, in
// place of the column.
//
//   - { op: ordinal, columns: [size], order: [S, M, L, XL], unknown: value }
//   - { op: ordinal, columns: all_string, order: frequency }
//
// Spec fields:
//   columns   a name, a list of names, or all_string (never the label)
//   order     lexical (default): codes 0, 1, … in sorted category-text order of the
//             training rows; frequency: the most frequent training category gets 0
//             (ties: the smaller text first); [a, b, …]: an explicit list whose
//             positions are the codes, the same for every column (values outside it
//             are unknown, also on the training rows)
//   unknown   value (default): a value without a code becomes -1; error: it is an
//             InvalidArgument naming the row
//
// Missing cells stay missing (the output is an int column with the same
// validity): -1 keeps meaning "not a fitted category", and a later impute or
// drop_missing decides what a missing value is.
//
// Fitted: {"columns": [resolved names], "categories": [[category text in code
// order], …]}.
//
// String, int and bool columns are accepted (categories are their text);
// float and timestamp columns are refused, so NaN and inf never become
// categories. A fitted category longer than 1024 bytes is free text and an
// error; a long value at apply is only looked up (linear in its length).
// sources = the input's sources.
#include <fmt/format.h>

#include <algorithm>

#include "data/transform/categorical/categorical_ops.h"
#include "data/transform/categorical/category_cells.h"
#include "data/transform/column_selection.h"

namespace citadel::data {
namespace {

constexpr std::string_view kOp = "ordinal";

struct OrdinalSpec {
  ColumnSelection selection;
  std::string order = "lexical";  // lexical, frequency, or "" with `explicit_order`
  std::vector<std::string> explicit_order;
  bool unknown_error = false;
};

class Ordinal : public ColumnTransform {
 public:
  explicit Ordinal(OrdinalSpec spec) : spec_(std::move(spec)) {}

  std::string_view op() const override { return kOp; }

  Status Fit(const Table& table, std::span<const size_t> fit_rows) override {
    ASSIGN_OR_RETURN(columns_, spec_.selection.Resolve(table, kOp));
    categories_.clear();
    for (const std::string& name : columns_) {
      const Column& c = *table.Find(name);
      RETURN_IF_ERROR(CheckCategorical(c, kOp));
      if (spec_.order.empty()) {
        categories_.push_back(spec_.explicit_order);
        continue;
      }
      ASSIGN_OR_RETURN(std::vector<std::string> cats, FitColumn(table, c, fit_rows));
      categories_.push_back(std::move(cats));
    }
    return Status::Ok();
  }

  Status Apply(Table& table) const override {
    for (size_t i = 0; i < columns_.size(); ++i) {
      ASSIGN_OR_RETURN(Column * c, table.Get(columns_[i], kOp));
      RETURN_IF_ERROR(CheckCategorical(*c, kOp));
      TextMap<int64_t> code;
      for (size_t k = 0; k < categories_[i].size(); ++k) {
        code.emplace(categories_[i][k], static_cast<int64_t>(k));
      }
      Column out = Column::Empty(c->name, ColumnType::kInt, c->sources);
      out.valid = c->valid;
      out.ints.assign(c->size(), 0);
      std::string scratch;
      for (size_t r = 0; r < c->size(); ++r) {
        if (!c->is_valid(r)) continue;
        std::string_view text = CategoryText(*c, r, scratch);
        auto it = code.find(text);
        if (it != code.end()) {
          out.ints[r] = it->second;
        } else if (spec_.unknown_error) {
          return InvalidArgumentError(fmt::format(
              "{}: column '{}' has the value {} at {}, which has no code (the {} fitted "
              "categories come from {}); set unknown: value to encode it as -1",
              kOp, c->name, Quoted(text), table.Where(r), categories_[i].size(),
              spec_.order.empty() ? "the order list" : "the training rows"));
        } else {
          out.ints[r] = -1;
        }
      }
      *c = std::move(out);
    }
    return Status::Ok();
  }

  Json ToJson() const override {
    return Json{{"op", kOp},
                {"columns", spec_.selection.ToJson()},
                {"order", spec_.order.empty() ? Json(spec_.explicit_order) : Json(spec_.order)},
                {"unknown", spec_.unknown_error ? "error" : "value"},
                {"fitted", Json{{"columns", columns_}, {"categories", categories_}}}};
  }

  Status LoadFitted(const Json& fitted) override {
    RETURN_IF_ERROR(ReadFitted(fitted, "columns", kOp, columns_));
    RETURN_IF_ERROR(ReadFitted(fitted, "categories", kOp, categories_));
    if (categories_.size() != columns_.size()) {
      return InvalidArgumentError(
          fmt::format("{}: fitted.categories must hold one list per column", kOp));
    }
    for (size_t i = 0; i < columns_.size(); ++i) {
      std::vector<std::string> sorted = categories_[i];
      std::sort(sorted.begin(), sorted.end());
      if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
        return InvalidArgumentError(
            fmt::format("{}: fitted categories of '{}' must be unique", kOp, columns_[i]));
      }
    }
    return Status::Ok();
  }

 private:
  Result<std::vector<std::string>> FitColumn(const Table& table, const Column& c,
                                             std::span<const size_t> fit_rows) const {
    struct Count {
      int64_t rows = 0;
      size_t first_row = 0;
    };
    TextMap<Count> counts;
    std::string scratch;
    for (size_t r : fit_rows) {
      if (!c.is_valid(r)) continue;
      std::string_view text = CategoryText(c, r, scratch);
      auto it = counts.find(text);
      if (it == counts.end()) it = counts.emplace(std::string(text), Count{0, r}).first;
      ++it->second.rows;
    }
    std::vector<std::pair<std::string, Count>> cats(counts.begin(), counts.end());
    const bool by_frequency = spec_.order == "frequency";
    std::sort(cats.begin(), cats.end(), [by_frequency](const auto& a, const auto& b) {
      if (by_frequency && a.second.rows != b.second.rows) return a.second.rows > b.second.rows;
      return a.first < b.first;
    });
    std::vector<std::string> out;
    out.reserve(cats.size());
    for (auto& [text, count] : cats) {
      RETURN_IF_ERROR(CheckStorable(text, kMaxCategoryBytes, kOp, c.name,
                                    table.Where(count.first_row),
                                    "ordinal is for categories; encode free text with op: text"));
      out.push_back(std::move(text));
    }
    return out;
  }

  OrdinalSpec spec_;
  std::vector<std::string> columns_;
  std::vector<std::vector<std::string>> categories_;
};

Result<std::unique_ptr<ColumnTransform>> MakeOrdinal(const SpecReader& item, const TransformEnv&) {
  RETURN_IF_ERROR(item.ExpectObject({"op", "columns", "order", "unknown"}));
  OrdinalSpec spec;
  ASSIGN_OR_RETURN(spec.selection, ColumnSelection::Parse(item));
  if (item.Has("order") && item.json()["order"].is_array()) {
    ASSIGN_OR_RETURN(spec.explicit_order, item.StringList("order"));
    if (spec.explicit_order.empty()) return item.FieldError("order", "the list is empty");
    std::vector<std::string> sorted = spec.explicit_order;
    std::sort(sorted.begin(), sorted.end());
    auto dup = std::adjacent_find(sorted.begin(), sorted.end());
    if (dup != sorted.end()) {
      return item.FieldError("order", fmt::format("{} is listed twice", Quoted(*dup)));
    }
    for (const std::string& v : spec.explicit_order) {
      if (v.size() > kMaxCategoryBytes) {
        return item.FieldError(
            "order", fmt::format("{} is longer than {} bytes", Quoted(v), kMaxCategoryBytes));
      }
    }
    spec.order.clear();
  } else {
    ASSIGN_OR_RETURN(spec.order, item.String("order", "lexical"));
    RETURN_IF_ERROR(CheckChoice(item, "order", spec.order, {"lexical", "frequency"}));
  }
  ASSIGN_OR_RETURN(std::string unknown, item.String("unknown", "value"));
  RETURN_IF_ERROR(CheckChoice(item, "unknown", unknown, {"value", "error"}));
  spec.unknown_error = unknown == "error";
  return std::unique_ptr<ColumnTransform>(std::make_unique<Ordinal>(std::move(spec)));
}

}  // namespace

void AddOrdinalOps(std::vector<TransformOp>& ops) { ops.push_back({kOp, MakeOrdinal}); }

}  // namespace citadel::data
