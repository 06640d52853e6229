#include "base/text/spec_reader.h"

#include <fmt/format.h>

namespace citadel {
namespace {
const Json& NullJson() {
  static const Json* null_json = new Json(nullptr);
  return *null_json;
}

std::string DisplayPointer(const std::string& pointer) {
  return pointer.empty() ? "(top level)" : pointer.substr(1);
}
}  // namespace

SpecReader::SpecReader(const YamlDocument& doc, std::string pointer)
    : doc_(&doc), pointer_(std::move(pointer)), value_(&NullJson()) {
  try {
    const Json& v = doc.root.at(Json::json_pointer(pointer_));
    value_ = &v;
  } catch (const Json::exception&) {
    // stays null: an absent optional section
  }
}

bool SpecReader::Has(std::string_view key) const {
  return value_->is_object() && value_->contains(key) && !(*value_)[std::string(key)].is_null();
}

std::string SpecReader::ChildPointer(std::string_view key) const {
  std::string escaped;
  for (char c : key) {
    if (c == '~') {
      escaped += "~0";
    } else if (c == '/') {
      escaped += "~1";
    } else {
      escaped += c;
    }
  }
  return pointer_ + "/" + escaped;
}

Status SpecReader::Error(std::string_view message) const {
  return InvalidArgumentError(
      fmt::format("{}: {}: {}", doc_->Where(pointer_), DisplayPointer(pointer_), message));
}

Status SpecReader::FieldError(std::string_view key, std::string_view message) const {
  std::string p = ChildPointer(key);
  return InvalidArgumentError(
      fmt::format("{}: {}: {}", doc_->Where(p), DisplayPointer(p), message));
}

std::string SpecReader::Describe(const Json& value) const {
  std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return fmt::format("'{}'", text);
}

Status SpecReader::ExpectObject(std::initializer_list<std::string_view> known) const {
  if (!value_->is_object()) {
    return Error(fmt::format("expected a mapping, got {}",
                             value_->is_null() ? "nothing" : Describe(*value_)));
  }
  for (const auto& [key, unused] : value_->items()) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || k == key;
    if (!ok) {
      std::string names;
      for (std::string_view k : known) names += fmt::format("{}{}", names.empty() ? "" : ", ", k);
      return FieldError(key, fmt::format("unknown field '{}' (known fields: {})", key, names));
    }
  }
  return Status::Ok();
}

Result<const Json*> SpecReader::Required(std::string_view key) const {
  if (!Has(key)) return FieldError(key, fmt::format("required field '{}' is missing", key));
  return &(*value_)[std::string(key)];
}

Result<std::string> SpecReader::String(std::string_view key) const {
  ASSIGN_OR_RETURN(const Json* v, Required(key));
  if (!v->is_string())
    return FieldError(key, fmt::format("expected a string, got {}", Describe(*v)));
  return v->get<std::string>();
}

Result<std::string> SpecReader::String(std::string_view key, std::string fallback) const {
  if (!Has(key)) return fallback;
  return String(key);
}

Result<int64_t> SpecReader::Int(std::string_view key, int64_t min, int64_t max) const {
  ASSIGN_OR_RETURN(const Json* v, Required(key));
  if (!v->is_number_integer() || v->get<int64_t>() < min || v->get<int64_t>() > max) {
    return FieldError(
        key, fmt::format("expected an integer in [{}, {}], got {}", min, max, Describe(*v)));
  }
  return v->get<int64_t>();
}

Result<int64_t> SpecReader::Int(std::string_view key, int64_t min, int64_t max,
                                int64_t fallback) const {
  if (!Has(key)) return fallback;
  return Int(key, min, max);
}

Result<double> SpecReader::Number(std::string_view key, double min, double max) const {
  ASSIGN_OR_RETURN(const Json* v, Required(key));
  if (!v->is_number() || v->get<double>() < min || v->get<double>() > max) {
    return FieldError(key,
                      fmt::format("expected a number in [{}, {}], got {}", min, max, Describe(*v)));
  }
  return v->get<double>();
}

Result<double> SpecReader::Number(std::string_view key, double min, double max,
                                  double fallback) const {
  if (!Has(key)) return fallback;
  return Number(key, min, max);
}

Result<bool> SpecReader::Bool(std::string_view key, bool fallback) const {
  if (!Has(key)) return fallback;
  const Json& v = (*value_)[std::string(key)];
  if (!v.is_boolean())
    return FieldError(key, fmt::format("expected true or false, got {}", Describe(v)));
  return v.get<bool>();
}

Result<std::vector<int64_t>> SpecReader::IntList(std::string_view key, int64_t min,
                                                 int64_t max) const {
  ASSIGN_OR_RETURN(const Json* v, Required(key));
  if (!v->is_array())
    return FieldError(key, fmt::format("expected a list of integers, got {}", Describe(*v)));
  std::vector<int64_t> out;
  for (const Json& item : *v) {
    if (!item.is_number_integer() || item.get<int64_t>() < min || item.get<int64_t>() > max) {
      return FieldError(
          key, fmt::format("expected integers in [{}, {}], got {}", min, max, Describe(item)));
    }
    out.push_back(item.get<int64_t>());
  }
  return out;
}

Result<std::vector<std::string>> SpecReader::StringList(std::string_view key) const {
  ASSIGN_OR_RETURN(const Json* v, Required(key));
  if (!v->is_array())
    return FieldError(key, fmt::format("expected a list of strings, got {}", Describe(*v)));
  std::vector<std::string> out;
  for (const Json& item : *v) {
    if (!item.is_string())
      return FieldError(key, fmt::format("expected strings, got {}", Describe(item)));
    out.push_back(item.get<std::string>());
  }
  return out;
}

SpecReader SpecReader::Child(std::string_view key) const {
  return SpecReader(*doc_, ChildPointer(key));
}

SpecReader SpecReader::Element(size_t index) const {
  return SpecReader(*doc_, fmt::format("{}/{}", pointer_, index));
}

}  // namespace citadel
