#include "data/table/table.h"

#include <fmt/format.h>

#include <algorithm>

namespace citadel::data {

Column* Table::Find(std::string_view name) {
  size_t i = IndexOf(name);
  return i == std::string_view::npos ? nullptr : &columns[i];
}

const Column* Table::Find(std::string_view name) const {
  size_t i = IndexOf(name);
  return i == std::string_view::npos ? nullptr : &columns[i];
}

size_t Table::IndexOf(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name) return i;
  }
  return std::string_view::npos;
}

Result<Column*> Table::Get(std::string_view name, std::string_view what) {
  if (Column* c = Find(name)) return c;
  return InvalidArgumentError(
      fmt::format("{}: column '{}' not found; the columns at this point "
                  "are {}",
                  what, name, ColumnList()));
}

Result<const Column*> Table::Get(std::string_view name, std::string_view what) const {
  if (const Column* c = Find(name)) return c;
  return InvalidArgumentError(
      fmt::format("{}: column '{}' not found; the columns at this point "
                  "are {}",
                  what, name, ColumnList()));
}

Status Table::Add(Column column) {
  if (Find(column.name) != nullptr) {
    return AlreadyExistsError(
        fmt::format("a column named '{}' already exists; choose another output name", column.name));
  }
  if (column.size() != num_rows()) {
    return InternalError(fmt::format("column '{}' has {} rows, the table {}", column.name,
                                     column.size(), num_rows()));
  }
  columns.push_back(std::move(column));
  return Status::Ok();
}

void Table::Put(Column column) {
  if (Column* existing = Find(column.name)) {
    *existing = std::move(column);
  } else {
    columns.push_back(std::move(column));
  }
}

void Table::Remove(std::string_view name) {
  size_t i = IndexOf(name);
  if (i != std::string_view::npos) columns.erase(columns.begin() + static_cast<ptrdiff_t>(i));
}

void Table::KeepRows(std::span<const size_t> rows) {
  for (Column& c : columns) c.KeepRows(rows);
  for (size_t i = 0; i < rows.size(); ++i) {
    row_ids[i] = row_ids[rows[i]];
    if (!lines.empty()) lines[i] = lines[rows[i]];
  }
  row_ids.resize(rows.size());
  if (!lines.empty()) lines.resize(rows.size());
}

std::string Table::Where(size_t row) const {
  if (row < lines.size() && lines[row] > 0) return fmt::format("{}:{}", source, lines[row]);
  return fmt::format("{} (row {})", source, row < row_ids.size() ? row_ids[row] : 0);
}

std::string Table::ColumnList() const {
  std::string out;
  size_t shown = std::min<size_t>(columns.size(), 12);
  for (size_t i = 0; i < shown; ++i) {
    out += fmt::format("{}'{}'", i == 0 ? "" : ", ", columns[i].name);
  }
  if (shown < columns.size()) out += fmt::format(", … ({} in all)", columns.size());
  if (columns.empty()) out = "(none)";
  return out;
}

}  // namespace citadel::data
