// Keras models: the legacy .h5 and v3 .keras files of tests/fixtures/keras
// (written by h5py and zipfile in the shapes Keras writes), configs built
// here, tokenizer configs with chat templates, the HDF5 reader on its own,
// every truncation and seeded corruption of the HDF5 files.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "base/system/files.h"
#include "scan/formats/findings_test_util.h"
#include "scan/formats/hdf5.h"
#include "scan/formats/keras_config.h"
#include "scan/model_scanner.h"

namespace citadel::scan {
namespace {

using testutil::Has;
using testutil::Rules;

using namespace std::string_literals;

std::string Fixture(const std::string& name) { return testutil::ReadFixture("keras", name); }

FileReport Scan(const std::string& bytes, ScanPolicy policy = ScanPolicy::kDefault) {
  ScanOptions options;
  options.policy = policy;
  return ScanBytes(bytes, "model", options);
}

constexpr Severity kSuspicious = Severity::kSuspicious;
constexpr Severity kDangerous = Severity::kDangerous;

TEST(Hdf5, TheRootAttributesOfFilesWrittenByH5pyAreRead) {
  for (const char* name : {"dense.h5", "lambda.h5", "lambda_latest.h5"}) {
    const std::string bytes = Fixture(name);
    EXPECT_TRUE(LooksLikeHdf5(bytes)) << name;
    Hdf5RootAttributes root = ReadHdf5RootAttributes(bytes);
    EXPECT_TRUE(root.problems.empty()) << name << ": " << root.problems[0].detail;
    bool config = false, version = false;
    for (const Hdf5Attribute& a : root.attributes) {
      if (a.name == "model_config") {
        ASSERT_EQ(a.strings.size(), 1u) << name;
        EXPECT_TRUE(a.strings[0].starts_with("{\"class_name\": \"Sequential\"")) << a.strings[0];
        config = true;
      }
      if (a.name == "keras_version") {
        ASSERT_EQ(a.strings.size(), 1u) << name;
        EXPECT_EQ(a.strings[0], "2.12.0") << name;
        version = true;
      }
    }
    EXPECT_TRUE(config && version) << name;
  }
}

TEST(Keras, APlainSequentialPassesAndALambdaIsDangerousInEveryContainer) {
  for (ScanPolicy policy : {ScanPolicy::kDefault, ScanPolicy::kStrict}) {
    FileReport h5 = Scan(Fixture("dense.h5"), policy);
    EXPECT_EQ(h5.format, "hdf5 (keras)");
    EXPECT_TRUE(h5.clean()) << Rules(h5.findings);
    FileReport v3 = Scan(Fixture("dense.keras"), policy);
    EXPECT_EQ(v3.format, "zip (keras)");
    EXPECT_TRUE(v3.clean()) << Rules(v3.findings);
  }
  for (const char* name : {"lambda.h5", "lambda_latest.h5"}) {
    FileReport r = Scan(Fixture(name));
    ASSERT_EQ(r.findings.size(), 1u) << name << "\n" << Rules(r.findings);
    EXPECT_TRUE(Has(r.findings, "keras-lambda",
                    "model_config: $.config.layers[1] (Lambda 'lambda'): a Python function "
                    "stored as marshalled bytecode (from module '__main__')",
                    kDangerous))
        << Rules(r.findings);
    EXPECT_GT(r.findings[0].offset, 0u);  // the attribute message
  }
  FileReport v3 = Scan(Fixture("lambda.keras"));
  ASSERT_EQ(v3.findings.size(), 1u) << Rules(v3.findings);
  EXPECT_EQ(v3.findings[0].entry, "config.json");
  EXPECT_TRUE(Has(v3.findings, "keras-lambda", "(Lambda 'lambda')", kDangerous));
  // Keras reads a UTF-16 config.json; this scanner does not, and says so.
  FileReport utf16 = Scan(Fixture("utf16_config.keras"));
  EXPECT_EQ(utf16.format, "zip (keras)");
  EXPECT_TRUE(
      Has(utf16.findings, "malformed-keras", "config.json is not a Keras config", kSuspicious))
      << Rules(utf16.findings);
}

TEST(Keras, ModulesOutsideKerasAreCustomCodeAndDenylistedOnesDangerous) {
  FileReport lenient = Scan(Fixture("module_function.keras"));
  EXPECT_TRUE(
      Has(lenient.findings, "keras-custom-object", "names os.system, on the denylist", kDangerous))
      << Rules(lenient.findings);
  EXPECT_TRUE(Has(lenient.findings, "keras-custom-object",
                  "(Scale 'scale'): from module "
                  "'custom_layers'",
                  kSuspicious))
      << Rules(lenient.findings);
  FileReport strict = Scan(Fixture("module_function.keras"), ScanPolicy::kStrict);
  EXPECT_TRUE(Has(strict.findings, "keras-custom-object", "custom_layers", kDangerous))
      << Rules(strict.findings);

  struct Case {
    std::string config;
    std::string rule;
    std::string detail;
    Severity lenient;
    Severity strict;
  };
  const std::vector<Case> cases = {
      {R"({"class_name": "TFOpLambda", "config": {"name": "add", "function": "math.add"}})",
       "keras-tf-op", "calls TensorFlow's tf.math.add", kSuspicious, kDangerous},
      {R"({"class_name": "TFOpLambda", "config": {"function": "io.write_file"}})", "keras-tf-op",
       "reaches files", kDangerous, kDangerous},
      {R"({"class_name": "Model", "config": {"layers": [{"class_name": "Scale",
          "registered_name": "Custom>Scale", "config": {}}]}})",
       "keras-custom-object", "registered as 'Custom>Scale'", kSuspicious, kDangerous},
      {R"({"module": "builtins", "class_name": "function", "config": "eval"})",
       "keras-custom-object", "names builtins.eval", kDangerous, kDangerous},
      {R"({"class_name": "M", "config": {"f": {"class_name": "__lambda__",
          "config": {"value": "YWJj"}}}})",
       "keras-lambda", "$.config.f (__lambda__)", kDangerous, kDangerous},
      {R"({"class_name": "M", "config": [)" + std::string(300, '[') + std::string(300, ']') + "]}",
       "malformed-keras", "nested more than 256 deep", kSuspicious, kSuspicious},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(Has(ScanKerasConfig(c.config, ScanPolicy::kDefault), c.rule, c.detail, c.lenient))
        << c.config << "\n"
        << Rules(ScanKerasConfig(c.config, ScanPolicy::kDefault));
    EXPECT_TRUE(Has(ScanKerasConfig(c.config, ScanPolicy::kStrict), c.rule, c.detail, c.strict))
        << c.config;
  }
  // Keras' own modules, old and new, are not custom code.
  const std::string own =
      R"({"module": "keras.src.models.functional", "class_name": "Functional",
          "registered_name": "Functional", "config": {"layers": [{"module": "tf_keras.layers",
          "class_name": "Dense", "config": {}, "registered_name": "keras>Dense"}]}})";
  EXPECT_TRUE(ScanKerasConfig(own, ScanPolicy::kStrict).empty())
      << Rules(ScanKerasConfig(own, ScanPolicy::kStrict));
  EXPECT_TRUE(Has(ScanKerasConfig("{\"class_name\": ", ScanPolicy::kDefault), "malformed-keras",
                  "not a JSON object", kSuspicious));
}

TEST(Keras, AStandaloneConfigAndTokenizerTemplatesAreJudgedByContent) {
  FileReport config = Scan(R"({"class_name": "Sequential", "config": {"layers": [
      {"class_name": "Lambda", "config": {"name": "l", "function": ["YWJj", null, null]}}]}})");
  EXPECT_EQ(config.format, "json (keras)");
  EXPECT_TRUE(Has(config.findings, "keras-lambda", "(Lambda 'l')", kDangerous));
  // With the UTF-8 byte order mark Python's json.loads(bytes) accepts.
  FileReport bom = Scan("\xef\xbb\xbf{\"class_name\": \"Lambda\", \"config\": {}}");
  EXPECT_EQ(bom.format, "json (keras)");
  EXPECT_TRUE(Has(bom.findings, "keras-lambda", "Lambda", kDangerous)) << Rules(bom.findings);

  FileReport tokenizer = Scan(
      R"({"bos_token": "<s>", "chat_template": "{{ cycler.__init__.__globals__.os.popen('id') }}"})");
  EXPECT_EQ(tokenizer.format, "json (tokenizer)");
  EXPECT_TRUE(Has(tokenizer.findings, "template-injection", "chat_template: 'cycler'", kDangerous))
      << Rules(tokenizer.findings);
  FileReport named = Scan(
      R"({"chat_template": [{"name": "default", "template": "{{ messages }}"},
                           {"name": "tool_use", "template": "{{ lipsum }}"}]})");
  EXPECT_TRUE(
      Has(named.findings, "template-injection", "chat_template 'tool_use': 'lipsum'", kDangerous))
      << Rules(named.findings);
  FileReport benign = Scan(
      R"({"chat_template": "{% for m in messages %}{{ m['role'] + ': ' + m['content'] }}{% endfor %}"})");
  EXPECT_TRUE(benign.clean()) << Rules(benign.findings);
  EXPECT_EQ(Scan(R"({"architectures": ["LlamaForCausalLM"]})").format, "unknown");
}

TEST(Keras, AUserBlockBeforeTheSuperblockHidesNothing) {
  // libhdf5 finds the superblock at 512, 1024, …; the user block before it
  // may hold a pickle, which is scanned too.
  const std::string pickle =
      "\x80\x02"
      "cos\nsystem\nX\x02\x00\x00\x00ls\x85R."s;
  std::string block = pickle + std::string(512 - pickle.size(), '\0');
  FileReport r = Scan(block + Fixture("lambda.h5"));
  EXPECT_EQ(r.format, "hdf5 (keras)");
  EXPECT_TRUE(Has(r.findings, "keras-lambda", "Lambda", kDangerous)) << Rules(r.findings);
  EXPECT_TRUE(Has(r.findings, "dangerous-call", "os.system", kDangerous)) << Rules(r.findings);
}

TEST(Keras, EveryTruncationAndSeededCorruptionIsAFindingNeverACrash) {
  for (const char* name : {"dense.h5", "lambda_latest.h5"}) {
    const std::string h5 = Fixture(name);
    for (size_t n = 8; n < h5.size(); n += (n < 1024 ? 1 : 7)) {
      FileReport r = Scan(h5.substr(0, n));
      EXPECT_FALSE(r.clean()) << name << " prefix " << n;
    }
  }
  std::mt19937_64 rng(31);
  for (const char* name : {"dense.h5", "lambda.h5", "lambda_latest.h5", "lambda.keras"}) {
    const std::string base = Fixture(name);
    for (int i = 0; i < 1500; ++i) {
      std::string bytes = base;
      // Flips where the structure is: the superblock, the root object
      // header and its messages lie in the first 2 KiB.
      for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips) {
        bytes[rng() % std::min<size_t>(bytes.size(), 2048)] = static_cast<char>(rng());
      }
      for (const Finding& f : Scan(bytes).findings) EXPECT_LE(f.offset, bytes.size());
    }
  }
}

}  // namespace
}  // namespace citadel::scan
