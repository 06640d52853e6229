#include "data/transform/column_selection.h"

#include <fmt/format.h>

namespace citadel::data {

Result<ColumnSelection> ColumnSelection::Parse(const SpecReader& item, std::string_view key,
                                               bool fallback_all_numeric) {
  ColumnSelection sel;
  if (!item.Has(key)) {
    if (fallback_all_numeric) {
      sel.kind_ = Kind::kAllNumeric;
      return sel;
    }
    return item.FieldError(key, fmt::format("required field '{}' is missing (a column name, a "
                                            "list of names, all_numeric or all_string)",
                                            key));
  }
  const Json& value = item.json()[std::string(key)];
  if (value.is_string()) {
    std::string name = value.get<std::string>();
    if (name.empty()) return item.FieldError(key, "the column name is empty");
    if (name == "all_numeric") {
      sel.kind_ = Kind::kAllNumeric;
    } else if (name == "all_string") {
      sel.kind_ = Kind::kAllString;
    } else {
      sel.names_.push_back(std::move(name));
    }
    return sel;
  }
  if (!value.is_array()) {
    return item.FieldError(key, fmt::format("expected a column name, a list of names, "
                                            "all_numeric or all_string, got {}",
                                            value.dump()));
  }
  ASSIGN_OR_RETURN(sel.names_, item.StringList(key));
  if (sel.names_.empty()) return item.FieldError(key, "the list is empty");
  for (size_t i = 0; i < sel.names_.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (sel.names_[i] == sel.names_[j]) {
        return item.FieldError(key, fmt::format("column '{}' is listed twice", sel.names_[i]));
      }
    }
  }
  return sel;
}

Result<std::vector<std::string>> ColumnSelection::Resolve(const Table& table,
                                                          std::string_view what) const {
  std::vector<std::string> out;
  if (kind_ == Kind::kNames) {
    for (const std::string& name : names_) {
      if (!table.label.empty() && name == table.label) {
        return InvalidArgumentError(fmt::format(
            "{}: '{}' is the label column; transforms apply to features only", what, name));
      }
      RETURN_IF_ERROR(table.Get(name, what).status());
      out.push_back(name);
    }
    return out;
  }
  for (const Column& c : table.columns) {
    if (c.name == table.label) continue;
    if (kind_ == Kind::kAllNumeric ? c.is_numeric() : c.is_string()) out.push_back(c.name);
  }
  if (out.empty()) {
    return InvalidArgumentError(
        fmt::format("{}: {} selects no column; the columns at this point are {}", what,
                    kind_ == Kind::kAllNumeric ? "all_numeric" : "all_string", table.ColumnList()));
  }
  return out;
}

Json ColumnSelection::ToJson() const {
  switch (kind_) {
    case Kind::kAllNumeric:
      return "all_numeric";
    case Kind::kAllString:
      return "all_string";
    case Kind::kNames:
      break;
  }
  return names_.size() == 1 ? Json(names_[0]) : Json(names_);
}

}  // namespace citadel::data
