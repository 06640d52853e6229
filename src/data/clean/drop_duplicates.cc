// Clean op `drop_duplicates`: keeps the first of each group of rows that are
// equal in the chosen columns.
//
//   { op: drop_duplicates }                          equal in every column
//   { op: drop_duplicates, columns: [customer_id] }  equal customer_id
//
// Equality is by typed value (see duplicate_rows.h): missing equals missing
// and NaN equals NaN, so two rows that read the same in the CSV are one row.
#include <fmt/format.h>

#include "data/clean/clean_ops.h"
#include "data/clean/duplicate_rows.h"

namespace citadel::data {
namespace {

class DropDuplicates : public RowOperation {
 public:
  DropDuplicates(std::optional<std::vector<std::string>> columns, std::string where)
      : columns_(std::move(columns)), where_(std::move(where)) {}

  std::string_view op() const override { return "drop_duplicates"; }

  Result<size_t> Run(Table& table) const override {
    ASSIGN_OR_RETURN(std::vector<const Column*> cols,
                     ResolveColumns(table, columns_, fmt::format("{} (drop_duplicates)", where_)));
    std::vector<size_t> first = FirstEqualRows(cols, table.num_rows());
    std::vector<uint8_t> keep(first.size());
    for (size_t r = 0; r < first.size(); ++r) keep[r] = first[r] == r ? 1 : 0;
    return KeepWhere(table, keep);
  }

  Json ToJson() const override {
    Json j{{"op", "drop_duplicates"}};
    if (columns_) j["columns"] = *columns_;
    return j;
  }

 private:
  std::optional<std::vector<std::string>> columns_;  // absent: every column
  std::string where_;
};

}  // namespace

Result<std::unique_ptr<RowOperation>> MakeDropDuplicates(const SpecReader& item) {
  RETURN_IF_ERROR(item.ExpectObject({"op", "columns"}));
  ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> columns,
                   ReadColumnNames(item, "columns"));
  return std::unique_ptr<RowOperation>(
      std::make_unique<DropDuplicates>(std::move(columns), SpecLocation(item)));
}

}  // namespace citadel::data
