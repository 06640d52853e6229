// one_hot: one 0/1 float column per category of a categorical column.
//
//   - { op: one_hot, columns: [color, size], max_categories: 20, min_frequency: 5,
//       unknown: other, missing: category, drop_input: true }
//
// Spec fields:
//   columns         a name, a list of names, or all_string (never the label)
//   max_categories  optional N in [1, 10000]: keep the N most frequent categories of
//                   the training rows (ties: the smaller text first); the rest are
//                   infrequent
//   min_frequency   optional k ≥ 1: a category on fewer than k training rows is
//                   infrequent
//   unknown         ignore (default): an unseen or infrequent value gives all zeros;
//                   other: an extra `<col>=__other__` column takes unseen and
//                   infrequent values; error: an unseen value is an error at apply
//                   (refused together with max_categories / min_frequency, which
//                   would make training values errors)
//   missing         ignore (default): a missing cell gives all zeros; category: an
//                   extra `<col>=__missing__` column
//   drop_input      true (default) replaces the input column; false keeps it in front
//                   of its outputs
//
// Fitted: {"columns": [resolved names], "categories": [[sorted category text], …]}.
//
// Output: float columns `<col>=<category>` in sorted category-text order, then
// `<col>=__other__`, then `<col>=__missing__`, where the input column stood;
// every cell present; sources = the input's sources. String, int and bool
// columns are accepted (categories are their text: "42", "true"); float and
// timestamp columns are refused, so NaN and inf never reach a category.
//
// Guards: more than 1000 categories without max_categories is an error (a
// column that wide wants max_categories or hash_features); a kept category
// longer than 1024 bytes is free text and an error pointing to `text`. A long
// value at apply is only looked up (linear in its length), never stored.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>

#include "data/transform/categorical/categorical_ops.h"
#include "data/transform/categorical/category_cells.h"
#include "data/transform/column_selection.h"
#include "data/transform/parallel_columns.h"

namespace citadel::data {
namespace {

constexpr std::string_view kOp = "one_hot";
constexpr size_t kMaxUnboundedCategories = 1000;
constexpr std::string_view kOther = "__other__";
constexpr std::string_view kMissing = "__missing__";

enum class Unknown { kIgnore, kError, kOther };

// Fitted category text → its output column, for the lookup of every row at
// apply: open addressing over the (few, short) categories with a hash that
// reads 8 bytes at a time, which costs a fraction of std::unordered_map's
// hash, modulo and node walk. The categories must outlive the index.
class CategoryIndex {
 public:
  static constexpr size_t kAbsent = SIZE_MAX;

  explicit CategoryIndex(const std::vector<std::string>& cats) : cats_(cats) {
    size_t slots = 16;
    while (slots < 2 * cats.size()) slots *= 2;
    mask_ = slots - 1;
    slots_.assign(slots, kEmpty);
    for (size_t i = 0; i < cats.size(); ++i) {
      size_t s = Hash(cats[i]) & mask_;
      while (slots_[s] != kEmpty) s = (s + 1) & mask_;
      slots_[s] = static_cast<uint32_t>(i);
    }
  }

  // The position of `text` among the categories, or kAbsent.
  size_t Find(std::string_view text) const {
    for (size_t s = Hash(text) & mask_;; s = (s + 1) & mask_) {
      const uint32_t i = slots_[s];
      if (i == kEmpty) return kAbsent;
      if (cats_[i] == text) return i;
    }
  }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;

  static uint64_t Hash(std::string_view text) {
    uint64_t h = text.size() * 0x9E3779B97F4A7C15ULL;
    size_t i = 0;
    for (; i + 8 <= text.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, text.data() + i, 8);
      h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
      h ^= h >> 32;
    }
    uint64_t w = 0;
    if (i < text.size()) std::memcpy(&w, text.data() + i, text.size() - i);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ULL;
    return h ^ (h >> 29);
  }

  const std::vector<std::string>& cats_;
  size_t mask_ = 0;
  std::vector<uint32_t> slots_;
};

struct OneHotSpec {
  ColumnSelection selection;
  std::optional<int64_t> max_categories;
  std::optional<int64_t> min_frequency;
  std::string unknown = "ignore";
  std::string missing = "ignore";
  bool drop_input = true;

  Unknown unknown_policy() const {
    return unknown == "error" ? Unknown::kError
                              : (unknown == "other" ? Unknown::kOther : Unknown::kIgnore);
  }
  bool missing_category() const { return missing == "category"; }
};

class OneHot : public ColumnTransform {
 public:
  explicit OneHot(OneHotSpec spec) : spec_(std::move(spec)) {}

  std::string_view op() const override { return kOp; }

  Status Fit(const Table& table, std::span<const size_t> fit_rows) override {
    ASSIGN_OR_RETURN(columns_, spec_.selection.Resolve(table, kOp));
    categories_.assign(columns_.size(), {});
    return ForEachColumn(columns_.size(), [&](size_t i) -> Status {
      ASSIGN_OR_RETURN(categories_[i], FitColumn(table, *table.Find(columns_[i]), fit_rows));
      return Status::Ok();
    });
  }

  Status Apply(Table& table) const override {
    // Two parallel passes over the unchanged table: the output column of
    // every row, per input column; then the output columns, each written in
    // one sequential, branch-free pass — spread over the cores by output,
    // not by input, so a wide column does not leave the other cores idle.
    // Then the outputs are put in place in order (an encoding never reads
    // another one-hot column's output).
    std::vector<Encoding> encodings(columns_.size());
    RETURN_IF_ERROR(ForEachColumn(columns_.size(), [&](size_t i) -> Status {
      ASSIGN_OR_RETURN(const Column* c, std::as_const(table).Get(columns_[i], kOp));
      RETURN_IF_ERROR(CheckCategorical(*c, kOp));
      ASSIGN_OR_RETURN(encodings[i], Encode(table, *c, categories_[i]));
      return Status::Ok();
    }));
    std::vector<std::pair<size_t, size_t>> outputs;  // (input, output within it)
    for (size_t i = 0; i < encodings.size(); ++i) {
      for (size_t k = 0; k < encodings[i].outputs.size(); ++k) outputs.emplace_back(i, k);
    }
    RETURN_IF_ERROR(ForEachColumn(outputs.size(), [&](size_t o) -> Status {
      const auto [i, k] = outputs[o];
      const std::vector<uint32_t>& code = encodings[i].code;
      const size_t rows = code.size();
      Column& out = encodings[i].outputs[k];
      out.floats.resize(rows);
      const auto mine = static_cast<uint32_t>(k);
      double* cells = out.floats.data();
      for (size_t r = 0; r < rows; ++r) cells[r] = code[r] == mine ? 1.0 : 0.0;
      out.valid.assign(rows, 1);
      return Status::Ok();
    }));
    for (size_t i = 0; i < columns_.size(); ++i) {
      std::string input = columns_[i];
      RETURN_IF_ERROR(ReplaceColumns(table, std::span(&input, 1), !spec_.drop_input,
                                     std::move(encodings[i].outputs), kOp));
    }
    return Status::Ok();
  }

  Json ToJson() const override {
    Json j = {{"op", kOp},
              {"columns", spec_.selection.ToJson()},
              {"unknown", spec_.unknown},
              {"missing", spec_.missing},
              {"drop_input", spec_.drop_input},
              {"fitted", Json{{"columns", columns_}, {"categories", categories_}}}};
    if (spec_.max_categories) j["max_categories"] = *spec_.max_categories;
    if (spec_.min_frequency) j["min_frequency"] = *spec_.min_frequency;
    return j;
  }

  Status LoadFitted(const Json& fitted) override {
    RETURN_IF_ERROR(ReadFitted(fitted, "columns", kOp, columns_));
    RETURN_IF_ERROR(ReadFitted(fitted, "categories", kOp, categories_));
    if (categories_.size() != columns_.size()) {
      return InvalidArgumentError(
          fmt::format("{}: fitted.categories must hold one list per column", kOp));
    }
    for (size_t i = 0; i < columns_.size(); ++i) {
      const std::vector<std::string>& cats = categories_[i];
      if (std::adjacent_find(cats.begin(), cats.end(), std::greater_equal<>()) != cats.end()) {
        return InvalidArgumentError(fmt::format(
            "{}: fitted categories of '{}' must be sorted and unique", kOp, columns_[i]));
      }
    }
    return Status::Ok();
  }

 private:
  // One input column, encoded: the output column of every row (or none, for
  // all zeros) and the output columns, named but not yet filled.
  struct Encoding {
    std::vector<uint32_t> code;
    std::vector<Column> outputs;
  };

  struct Count {
    int64_t rows = 0;
    size_t first_row = 0;
  };

  // The kept categories of one column, sorted by text.
  Result<std::vector<std::string>> FitColumn(const Table& table, const Column& c,
                                             std::span<const size_t> fit_rows) const {
    RETURN_IF_ERROR(CheckCategorical(c, kOp));
    TextMap<Count> counts;
    std::string scratch;
    for (size_t r : fit_rows) {
      if (!c.is_valid(r)) continue;
      std::string_view text = CategoryText(c, r, scratch);
      auto it = counts.find(text);
      if (it == counts.end()) it = counts.emplace(std::string(text), Count{0, r}).first;
      ++it->second.rows;
    }
    std::vector<std::pair<const std::string*, Count>> frequent;
    for (const auto& [text, count] : counts) {
      if (count.rows >= spec_.min_frequency.value_or(1)) frequent.emplace_back(&text, count);
    }
    if (spec_.max_categories) {
      // Most frequent first; equal counts by text, so the choice never depends on hash order.
      std::sort(frequent.begin(), frequent.end(), [](const auto& a, const auto& b) {
        return a.second.rows != b.second.rows ? a.second.rows > b.second.rows : *a.first < *b.first;
      });
      if (frequent.size() > static_cast<size_t>(*spec_.max_categories)) {
        frequent.resize(static_cast<size_t>(*spec_.max_categories));
      }
    } else if (frequent.size() > kMaxUnboundedCategories) {
      return InvalidArgumentError(fmt::format(
          "{}: column '{}' has {} categories on the {} training rows (more than {}); set "
          "max_categories (e.g. 100, with unknown: other) or min_frequency, or use hash_features "
          "for a column this wide",
          kOp, c.name, frequent.size(), fit_rows.size(), kMaxUnboundedCategories));
    }
    std::vector<std::string> kept;
    for (const auto& [text, count] : frequent) {
      RETURN_IF_ERROR(CheckStorable(*text, kMaxCategoryBytes, kOp, c.name,
                                    table.Where(count.first_row),
                                    "one_hot is for categories; encode free text with op: text"));
      if ((spec_.unknown_policy() == Unknown::kOther && *text == kOther) ||
          (spec_.missing_category() && *text == kMissing)) {
        return InvalidArgumentError(fmt::format(
            "{}: column '{}' holds the value '{}' at {}, which names the column reserved for "
            "{} values; rename the value first",
            kOp, c.name, *text, table.Where(count.first_row),
            *text == kOther ? "unseen" : "missing"));
      }
      kept.push_back(*text);
    }
    std::sort(kept.begin(), kept.end());
    if (kept.empty() && spec_.unknown_policy() != Unknown::kOther && !spec_.missing_category()) {
      return InvalidArgumentError(fmt::format(
          "{}: column '{}' has no category on the {} training rows (all missing or infrequent), "
          "so it would encode to no column; set missing: category or unknown: other, or drop "
          "the column",
          kOp, c.name, fit_rows.size()));
    }
    return kept;
  }

  Result<Encoding> Encode(const Table& table, const Column& c,
                          const std::vector<std::string>& cats) const {
    const size_t rows = c.size();
    const CategoryIndex index(cats);
    std::vector<Column> out;
    for (const std::string& cat : cats) {
      out.push_back(Column::Floats(fmt::format("{}={}", c.name, cat), {}, c.sources));
    }
    const Unknown unknown = spec_.unknown_policy();
    const size_t other = out.size();
    if (unknown == Unknown::kOther) {
      out.push_back(Column::Floats(fmt::format("{}={}", c.name, kOther), {}, c.sources));
    }
    const size_t missing = out.size();
    if (spec_.missing_category()) {
      out.push_back(Column::Floats(fmt::format("{}={}", c.name, kMissing), {}, c.sources));
    }
    // A 4-byte code per row rather than a zero-fill of every output
    // followed by scattered writes.
    constexpr uint32_t kNone = UINT32_MAX;
    std::vector<uint32_t> code(rows, kNone);
    const uint32_t missing_code = spec_.missing_category() ? static_cast<uint32_t>(missing) : kNone;
    std::string scratch;
    for (size_t r = 0; r < rows; ++r) {
      if (!c.is_valid(r)) {
        code[r] = missing_code;
        continue;
      }
      std::string_view text = CategoryText(c, r, scratch);
      const size_t at = index.Find(text);
      if (at != CategoryIndex::kAbsent) {
        code[r] = static_cast<uint32_t>(at);
      } else if (unknown == Unknown::kOther) {
        code[r] = static_cast<uint32_t>(other);
      } else if (unknown == Unknown::kError) {
        return InvalidArgumentError(fmt::format(
            "{}: column '{}' has the value {} at {}, not among the {} categories fitted on the "
            "training rows; set unknown: ignore or unknown: other to encode unseen values",
            kOp, c.name, Quoted(text), table.Where(r), cats.size()));
      }
    }
    return Encoding{std::move(code), std::move(out)};
  }

  OneHotSpec spec_;
  std::vector<std::string> columns_;
  std::vector<std::vector<std::string>> categories_;
};

Result<std::unique_ptr<ColumnTransform>> MakeOneHot(const SpecReader& item, const TransformEnv&) {
  RETURN_IF_ERROR(item.ExpectObject(
      {"op", "columns", "max_categories", "min_frequency", "unknown", "missing", "drop_input"}));
  OneHotSpec spec;
  ASSIGN_OR_RETURN(spec.selection, ColumnSelection::Parse(item));
  if (item.Has("max_categories")) {
    ASSIGN_OR_RETURN(spec.max_categories, item.Int("max_categories", 1, 10000));
  }
  if (item.Has("min_frequency")) {
    ASSIGN_OR_RETURN(spec.min_frequency, item.Int("min_frequency", 1, INT64_MAX));
  }
  ASSIGN_OR_RETURN(spec.unknown, item.String("unknown", "ignore"));
  RETURN_IF_ERROR(CheckChoice(item, "unknown", spec.unknown, {"ignore", "error", "other"}));
  ASSIGN_OR_RETURN(spec.missing, item.String("missing", "ignore"));
  RETURN_IF_ERROR(CheckChoice(item, "missing", spec.missing, {"ignore", "category"}));
  ASSIGN_OR_RETURN(spec.drop_input, item.Bool("drop_input", true));
  if (spec.unknown == "error" && (spec.max_categories || spec.min_frequency)) {
    return item.FieldError(
        "unknown",
        "unknown: error cannot be combined with max_categories or min_frequency: "
        "the training values they leave out would be errors; use unknown: other "
        "or ignore");
  }
  return std::unique_ptr<ColumnTransform>(std::make_unique<OneHot>(std::move(spec)));
}

}  // namespace

void AddOneHotOps(std::vector<TransformOp>& ops) { ops.push_back({kOp, MakeOneHot}); }

}  // namespace citadel::data
