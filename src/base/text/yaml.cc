#include "base/text/yaml.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <string>

#include "base/system/files.h"

namespace citadel {
namespace {

std::string EscapePointerToken(const std::string& token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

Json ScalarToJson(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted: always a string
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  int64_t integer = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (*begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, integer);
  if (ec == std::errc() && ptr == end) return integer;
  double real = 0;
  auto [fptr, fec] = std::from_chars(begin, end, real);
  if (fec == std::errc() && fptr == end && std::isfinite(real)) return real;
  if (text == ".inf" || text == "+.inf") return std::numeric_limits<double>::infinity();
  if (text == "-.inf") return -std::numeric_limits<double>::infinity();
  return text;
}

Status Convert(const YAML::Node& node, const std::string& pointer, YamlDocument& doc, Json& out) {
  doc.lines[pointer] = node.Mark().line + 1;
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      out = nullptr;
      return Status::Ok();
    case YAML::NodeType::Scalar:
      out = ScalarToJson(node);
      return Status::Ok();
    case YAML::NodeType::Sequence: {
      out = Json::array();
      size_t index = 0;
      for (const YAML::Node& item : node) {
        Json value;
        RETURN_IF_ERROR(Convert(item, fmt::format("{}/{}", pointer, index++), doc, value));
        out.push_back(std::move(value));
      }
      return Status::Ok();
    }
    case YAML::NodeType::Map: {
      out = Json::object();
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) {
          return InvalidArgumentError(fmt::format("{}:{}: mapping keys must be plain scalars",
                                                  doc.source, entry.first.Mark().line + 1));
        }
        std::string key = entry.first.Scalar();
        if (out.contains(key)) {
          return InvalidArgumentError(fmt::format("{}:{}: duplicate key '{}'", doc.source,
                                                  entry.first.Mark().line + 1, key));
        }
        Json value;
        RETURN_IF_ERROR(Convert(entry.second, pointer + "/" + EscapePointerToken(key), doc, value));
        out[key] = std::move(value);
      }
      return Status::Ok();
    }
  }
  return InternalError("unreachable YAML node type");
}

}  // namespace

int YamlDocument::LineOf(const std::string& pointer) const {
  std::string p = pointer;
  while (true) {
    auto it = lines.find(p);
    if (it != lines.end()) return it->second;
    if (p.empty()) return 0;
    size_t slash = p.rfind('/');
    p = slash == std::string::npos ? "" : p.substr(0, slash);
  }
}

std::string YamlDocument::Where(const std::string& pointer) const {
  int line = LineOf(pointer);
  return line > 0 ? fmt::format("{}:{}", source, line) : source;
}

Result<YamlDocument> ParseYaml(std::string_view text, std::string_view source) {
  YamlDocument doc;
  doc.source = std::string(source);
  try {
    YAML::Node node = YAML::Load(std::string(text));
    RETURN_IF_ERROR(Convert(node, "", doc, doc.root));
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(fmt::format("{}:{}:{}: invalid YAML: {}", source, e.mark.line + 1,
                                            e.mark.column + 1, e.msg));
  }
  return doc;
}

Result<YamlDocument> LoadYamlFile(const std::filesystem::path& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseYaml(text, path.string());
}

}  // namespace citadel
