// Clean op `drop_missing`: removes rows with missing cells.
//
//   { op: drop_missing }                                  any column missing
//   { op: drop_missing, columns: [age, income], how: all } both missing
//
// NaN is a value, not a missing cell (see column.h): drop it with
// { op: filter, expr: 'not is_nan(x)' }. The label column may be named, to
// drop unlabelled rows.
#include <fmt/format.h>

#include "data/clean/clean_ops.h"

namespace citadel::data {
namespace {

class DropMissing : public RowOperation {
 public:
  DropMissing(std::optional<std::vector<std::string>> columns, bool all, std::string where)
      : columns_(std::move(columns)), all_(all), where_(std::move(where)) {}

  std::string_view op() const override { return "drop_missing"; }

  Result<size_t> Run(Table& table) const override {
    ASSIGN_OR_RETURN(std::vector<const Column*> cols,
                     ResolveColumns(table, columns_, fmt::format("{} (drop_missing)", where_)));
    if (cols.empty()) return size_t{0};
    const size_t rows = table.num_rows();
    // Count the missing selected cells per row, one column at a time.
    std::vector<uint32_t> missing(rows, 0);
    for (const Column* c : cols) {
      for (size_t r = 0; r < rows; ++r) missing[r] += c->valid[r] == 0;
    }
    const uint32_t limit = all_ ? static_cast<uint32_t>(cols.size()) : 1;
    std::vector<uint8_t> keep(rows);
    for (size_t r = 0; r < rows; ++r) keep[r] = missing[r] < limit ? 1 : 0;
    return KeepWhere(table, keep);
  }

  Json ToJson() const override {
    Json j{{"op", "drop_missing"}, {"how", all_ ? "all" : "any"}};
    if (columns_) j["columns"] = *columns_;
    return j;
  }

 private:
  std::optional<std::vector<std::string>> columns_;  // absent: every column
  bool all_;
  std::string where_;
};

}  // namespace

Result<std::unique_ptr<RowOperation>> MakeDropMissing(const SpecReader& item) {
  RETURN_IF_ERROR(item.ExpectObject({"op", "columns", "how"}));
  ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> columns,
                   ReadColumnNames(item, "columns"));
  ASSIGN_OR_RETURN(std::string how, item.String("how", "any"));
  if (how != "any" && how != "all") {
    return item.FieldError("how", fmt::format("expected any (a row with any missing cell is "
                                              "dropped) or all (only rows missing every cell), "
                                              "got '{}'",
                                              how));
  }
  return std::unique_ptr<RowOperation>(
      std::make_unique<DropMissing>(std::move(columns), how == "all", SpecLocation(item)));
}

}  // namespace citadel::data
