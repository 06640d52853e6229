// Shared by the categorical, text and PII ops: reading a cell as category
// text, quoting values in messages, reading stored fitted fields, and
// splicing output columns into a table where their input column stood.
// Internal to src/data/transform.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "base/text/spec_reader.h"
#include "data/table/table.h"

namespace citadel::data {

// Longest value that one_hot and ordinal accept as a category: a longer one
// is free text, and would otherwise become a column name or a schema.json
// entry of unbounded size.
inline constexpr size_t kMaxCategoryBytes = 1024;

// A hash map keyed by text that can be searched with a string_view, so that
// looking up a cell allocates nothing.
struct TextHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};
template <typename V>
using TextMap = std::unordered_map<std::string, V, TextHash, std::equal_to<>>;

// OK for string, int and bool columns (categories are their text); an
// InvalidArgument naming `op` and the column otherwise, saying what to do.
Status CheckCategorical(const Column& column, std::string_view op);

// The cell as category text: the string itself, decimal for ints,
// "true"/"false" for bools. `scratch` backs the result for non-strings.
// Precondition: CheckCategorical(column) is OK and column.is_valid(row).
std::string_view CategoryText(const Column& column, size_t row, std::string& scratch);

// `value` quoted for a message, cut to about 40 bytes at a UTF-8 boundary
// with its full length appended when longer: 'abc…' (1048576 bytes).
std::string Quoted(std::string_view value);

// OK when a fitted category or term can be stored in schema.json (which holds
// only valid UTF-8) and is at most `max_bytes` long; an InvalidArgument naming
// the op, the column, the value and where it was first seen otherwise.
Status CheckStorable(std::string_view value, size_t max_bytes, std::string_view op,
                     std::string_view column, std::string_view where, std::string_view hint);

// Replaces the columns named `inputs` by `outputs`, which take the place of
// the first input in table order; with `keep_inputs` the inputs stay and the
// outputs follow the last of them. Nothing changes when an error is returned:
// an input that is absent, an output whose name is taken by another column
// or repeated (InvalidArgument naming `op`), or an output of the wrong size
// (Internal).
Status ReplaceColumns(Table& table, std::span<const std::string> inputs, bool keep_inputs,
                      std::vector<Column> outputs, std::string_view op);

// OK when `value` (read from `key` of `item`) is one of `choices`; a field
// error listing them otherwise.
Status CheckChoice(const SpecReader& item, std::string_view key, std::string_view value,
                   std::initializer_list<std::string_view> choices);

// Reads fitted[key] as T for LoadFitted; InvalidArgument "OP: fitted.KEY: …"
// when the field is absent or of another type.
template <typename T>
Status ReadFitted(const Json& fitted, std::string_view key, std::string_view op, T& out) {
  if (!fitted.is_object() || !fitted.contains(key)) {
    return InvalidArgumentError(fmt::format("{}: fitted.{} is missing", op, key));
  }
  try {
    out = fitted[std::string(key)].get<T>();
  } catch (const Json::exception& e) {
    return InvalidArgumentError(fmt::format("{}: fitted.{}: {}", op, key, e.what()));
  }
  return Status::Ok();
}

}  // namespace citadel::data
