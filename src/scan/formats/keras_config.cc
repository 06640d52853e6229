#include "scan/formats/keras_config.h"

#include <fmt/format.h>

#include <array>
#include <optional>
#include <string>

#include "base/text/json.h"
#include "scan/callable_policy.h"
#include "scan/formats/chat_template.h"
#include "scan/formats/hdf5.h"

namespace citadel::scan {
namespace {

// Deeper JSON is refused before it is parsed: the walk below recurses.
constexpr int kMaxJsonDepth = 256;

// TensorFlow functions a TFOpLambda may name that reach files, Python or
// raw kernels.
constexpr std::array<std::string_view, 9> kRiskyTfOps = {
    "io.",      "gfile",      "py_func",  "py_function", "numpy_function",
    "raw_ops.", "debugging.", "summary.", "compat.v1."};

Severity CustomCodeSeverity(ScanPolicy policy) {
  return policy == ScanPolicy::kStrict ? Severity::kDangerous : Severity::kSuspicious;
}

bool IsKerasModule(std::string_view module) {
  for (std::string_view root : {"keras", "tf_keras"}) {
    if (module == root ||
        (module.starts_with(root) && module.size() > root.size() && module[root.size()] == '.')) {
      return true;
    }
  }
  return false;
}

// The deepest nesting of `text` outside strings, counted up to a cap.
int JsonDepth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size() && deepest <= kMaxJsonDepth; ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

std::optional<Json> ParseObject(std::string_view text, std::string* why) {
  // Python's json.loads(bytes), which Keras uses, accepts a UTF-8 BOM.
  if (text.starts_with("\xef\xbb\xbf")) text.remove_prefix(3);
  if (JsonDepth(text) > kMaxJsonDepth) {
    if (why) *why = fmt::format("JSON nested more than {} deep", kMaxJsonDepth);
    return std::nullopt;
  }
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    if (why) *why = "not a JSON object";
    return std::nullopt;
  }
  return j;
}

std::string_view StringAt(const Json& j, std::string_view key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>())
                                          : std::string_view();
}

class KerasJudge {
 public:
  KerasJudge(ScanPolicy policy, uint64_t offset, std::string prefix)
      : policy_(policy), offset_(offset), prefix_(std::move(prefix)) {}

  std::vector<Finding> Run(const Json& config) {
    Walk(config, "$");
    return std::move(findings_);
  }

 private:
  void Walk(const Json& j, const std::string& path) {
    if (j.is_array()) {
      for (size_t i = 0; i < j.size(); ++i) Walk(j[i], fmt::format("{}[{}]", path, i));
      return;
    }
    if (!j.is_object()) return;
    const std::string_view class_name = StringAt(j, "class_name");
    if (!class_name.empty() && !Judge(j, class_name, path)) return;
    for (const auto& [key, value] : j.items()) Walk(value, path + "." + key);
  }

  // Reports the object; false when what is inside need not be walked.
  bool Judge(const Json& j, std::string_view class_name, const std::string& path) {
    const Json* config = j.contains("config") ? &j["config"] : nullptr;
    const std::string name =
        config && config->is_object() ? std::string(StringAt(*config, "name")) : std::string();
    const std::string where =
        fmt::format("{} ({}{})", path, class_name, name.empty() ? "" : " '" + name + "'");
    if (class_name == "Lambda" || class_name == "__lambda__") {
      Add(Severity::kDangerous, "keras-lambda",
          fmt::format("{}: a Python function stored as marshalled bytecode{}; loading the model "
                      "runs it",
                      where, LambdaModule(config)));
      return false;
    }
    if (class_name == "TFOpLambda") {
      const std::string_view op =
          config && config->is_object() ? StringAt(*config, "function") : std::string_view();
      bool risky = false;
      for (std::string_view r : kRiskyTfOps) risky |= op.find(r) != std::string_view::npos;
      Add(risky ? Severity::kDangerous : CustomCodeSeverity(policy_), "keras-tf-op",
          fmt::format("{}: calls TensorFlow's tf.{}{}", where, op,
                      risky ? ", which reaches files, Python or raw kernels" : ""));
      return true;
    }
    const std::string_view module = StringAt(j, "module");
    if (!module.empty() && !IsKerasModule(module)) {
      // {"class_name": "function", "config": "system"} names a function.
      const std::string_view object = class_name == "function" && config && config->is_string()
                                          ? std::string_view(config->get_ref<const std::string&>())
                                          : class_name;
      if (ClassifyCallable(module, object) == CallableClass::kDangerous) {
        Add(Severity::kDangerous, "keras-custom-object",
            fmt::format("{}: names {}.{}, on the denylist; loading imports and uses it", where,
                        module, object));
      } else {
        Add(CustomCodeSeverity(policy_), "keras-custom-object",
            fmt::format("{}: from module '{}', outside Keras; loading imports it", where, module));
      }
      return true;
    }
    const std::string_view registered = StringAt(j, "registered_name");
    if (const size_t gt = registered.find('>');
        gt != std::string_view::npos && !IsKerasModule(registered.substr(0, gt))) {
      Add(CustomCodeSeverity(policy_), "keras-custom-object",
          fmt::format("{}: a custom object registered as '{}'; loading needs its code", where,
                      registered));
    }
    return true;
  }

  static std::string LambdaModule(const Json* config) {
    if (config == nullptr || !config->is_object()) return "";
    const std::string_view module = StringAt(*config, "module");
    return module.empty() ? "" : fmt::format(" (from module '{}')", module);
  }

  void Add(Severity severity, std::string rule, std::string detail) {
    findings_.push_back({"", "", offset_, severity, std::move(rule), prefix_ + detail});
  }

  ScanPolicy policy_;
  uint64_t offset_;
  std::string prefix_;
  std::vector<Finding> findings_;
};

std::vector<Finding> KerasFindings(std::string_view json, ScanPolicy policy, uint64_t offset,
                                   const std::string& prefix) {
  std::string why;
  std::optional<Json> config = ParseObject(json, &why);
  if (!config) {
    return {{"", "", offset, Severity::kSuspicious, "malformed-keras",
             fmt::format("{}the model config cannot be read: {}", prefix, why)}};
  }
  return KerasJudge(policy, offset, prefix).Run(*config);
}

void TemplateFindings(std::string_view label, std::string_view text,
                      std::vector<Finding>& findings) {
  for (const TemplateMarker& m : FindTemplateInjection(text)) {
    findings.push_back({"", "", 0, Severity::kDangerous, "template-injection",
                        fmt::format("{}: '{}' at character {}: {} (server-side template "
                                    "injection, as in CVE-2024-34359)",
                                    label, m.marker, m.offset, m.why)});
  }
}

bool StartsLikeJsonObject(std::string_view data) {
  if (data.starts_with("\xef\xbb\xbf")) data.remove_prefix(3);
  const size_t first = data.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && data[first] == '{';
}

}  // namespace

std::string_view JsonConfigKind(std::string_view data) {
  if (!StartsLikeJsonObject(data)) return "";
  std::optional<Json> j = ParseObject(data, nullptr);
  if (!j) return "";
  if (j->contains("class_name") && (*j)["class_name"].is_string()) return "keras";
  if (j->contains("chat_template")) return "tokenizer";
  return "";
}

std::vector<Finding> ScanKerasConfig(std::string_view json, ScanPolicy policy) {
  return KerasFindings(json, policy, 0, "");
}

std::vector<Finding> ScanJsonConfig(std::string_view data, ScanPolicy policy) {
  const std::string_view kind = JsonConfigKind(data);
  if (kind == "keras") return ScanKerasConfig(data, policy);
  std::vector<Finding> findings;
  if (kind != "tokenizer") return findings;
  const Json j = *ParseObject(data, nullptr);
  const Json& templates = j["chat_template"];
  if (templates.is_string()) {
    TemplateFindings("chat_template", templates.get_ref<const std::string&>(), findings);
  } else if (templates.is_array()) {
    for (const Json& t : templates) {
      if (!t.is_object()) continue;
      const std::string_view text = StringAt(t, "template");
      TemplateFindings(fmt::format("chat_template '{}'", StringAt(t, "name")), text, findings);
    }
  }
  return findings;
}

std::vector<Finding> ScanHdf5Model(std::string_view data, ScanPolicy policy, bool* keras) {
  std::vector<Finding> findings;
  const Hdf5RootAttributes root = ReadHdf5RootAttributes(data);
  for (const Hdf5Problem& p : root.problems) {
    findings.push_back({"", "", p.offset, Severity::kSuspicious, "malformed-hdf5", p.detail});
  }
  for (const Hdf5Attribute& a : root.attributes) {
    if (a.name != "model_config" && a.name != "training_config") continue;
    if (keras != nullptr && a.name == "model_config") *keras = true;
    if (!a.is_string || a.strings.size() != 1) {
      findings.push_back({"", "", a.offset, Severity::kSuspicious, "malformed-keras",
                          fmt::format("{} is not a single string", a.name)});
      continue;
    }
    for (Finding& f : KerasFindings(a.strings[0], policy, a.offset, a.name + ": ")) {
      findings.push_back(std::move(f));
    }
  }
  return findings;
}

}  // namespace citadel::scan
