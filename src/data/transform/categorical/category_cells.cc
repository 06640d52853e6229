#include "data/transform/categorical/category_cells.h"

#include <algorithm>
#include <unordered_set>

#include "base/text/utf8.h"

namespace citadel::data {
namespace {
constexpr size_t kQuotedBytes = 40;
}  // namespace

Status CheckCategorical(const Column& column, std::string_view op) {
  if (column.type == ColumnType::kString || column.type == ColumnType::kInt ||
      column.type == ColumnType::kBool) {
    return Status::Ok();
  }
  return InvalidArgumentError(fmt::format(
      "{}: column '{}' is {}; categories come from string, int or bool columns (bin a float "
      "column first, or cast it to string if its values are codes)",
      op, column.name, ColumnTypeName(column.type)));
}

std::string_view CategoryText(const Column& column, size_t row, std::string& scratch) {
  switch (column.type) {
    case ColumnType::kString:
      return column.strings[row];
    case ColumnType::kBool:
      return column.ints[row] != 0 ? "true" : "false";
    default:
      scratch = std::to_string(column.ints[row]);
      return scratch;
  }
}

std::string Quoted(std::string_view value) {
  if (value.size() <= kQuotedBytes) return fmt::format("'{}'", value);
  size_t cut = kQuotedBytes;
  // Back off over continuation bytes so the message stays valid UTF-8.
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
  return fmt::format("'{}…' ({} bytes)", value.substr(0, cut), value.size());
}

Status CheckStorable(std::string_view value, size_t max_bytes, std::string_view op,
                     std::string_view column, std::string_view where, std::string_view hint) {
  if (value.size() > max_bytes) {
    return InvalidArgumentError(
        fmt::format("{}: column '{}' holds a {}-byte value {} at {}, longer than the {} bytes "
                    "allowed; {}",
                    op, column, value.size(), Quoted(value), where, max_bytes, hint));
  }
  if (!IsValidUtf8(value)) {
    return InvalidArgumentError(
        fmt::format("{}: column '{}' holds a value that is not valid UTF-8 at {}; decode the "
                    "input with the right encoding",
                    op, column, where));
  }
  return Status::Ok();
}

Status CheckChoice(const SpecReader& item, std::string_view key, std::string_view value,
                   std::initializer_list<std::string_view> choices) {
  std::string names;
  for (std::string_view c : choices) {
    if (c == value) return Status::Ok();
    names += fmt::format("{}{}", names.empty() ? "" : ", ", c);
  }
  return item.FieldError(key, fmt::format("expected one of {}, got {}", names, Quoted(value)));
}

Status ReplaceColumns(Table& table, std::span<const std::string> inputs, bool keep_inputs,
                      std::vector<Column> outputs, std::string_view op) {
  std::vector<size_t> positions;
  for (const std::string& name : inputs) {
    size_t i = table.IndexOf(name);
    if (i == std::string_view::npos) RETURN_IF_ERROR(table.Get(name, op).status());
    positions.push_back(i);
  }
  std::sort(positions.begin(), positions.end());
  std::unordered_set<std::string_view> taken;
  for (const Column& c : table.columns) {
    bool replaced = !keep_inputs && std::find(inputs.begin(), inputs.end(), c.name) != inputs.end();
    if (!replaced) taken.insert(c.name);
  }
  for (const Column& out : outputs) {
    if (!taken.insert(out.name).second) {
      return InvalidArgumentError(fmt::format(
          "{}: output column {} already exists; rename the clashing column or the input", op,
          Quoted(out.name)));
    }
    if (out.size() != table.num_rows()) {
      return InternalError(fmt::format("{}: output column {} has {} rows, the table {}", op,
                                       Quoted(out.name), out.size(), table.num_rows()));
    }
  }
  size_t at = positions.empty() ? table.columns.size()
                                : (keep_inputs ? positions.back() + 1 : positions.front());
  if (!keep_inputs) {
    for (auto it = positions.rbegin(); it != positions.rend(); ++it) {
      table.columns.erase(table.columns.begin() + static_cast<ptrdiff_t>(*it));
    }
  }
  table.columns.insert(table.columns.begin() + static_cast<ptrdiff_t>(at),
                       std::make_move_iterator(outputs.begin()),
                       std::make_move_iterator(outputs.end()));
  return Status::Ok();
}

}  // namespace citadel::data
