// The ONNX reader: the models of tests/fixtures/onnx (written by the onnx
// package), models built field by field here (Proto), every truncation and
// seeded corruption of a valid model.
#include "scan/formats/onnx.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "base/system/files.h"
#include "scan/formats/findings_test_util.h"
#include "scan/formats/protobuf_wire.h"
#include "scan/model_scanner.h"

namespace citadel::scan {
namespace {

using testutil::Has;
using testutil::Rules;

using namespace std::string_literals;

std::string Varint(uint64_t v) {
  std::string out;
  do {
    out += static_cast<char>((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
    v >>= 7;
  } while (v != 0);
  return out;
}

// Protobuf fields, for building messages.
std::string Len(uint32_t field, std::string_view bytes) {
  return Varint(uint64_t{field} << 3 | 2) + Varint(bytes.size()) + std::string(bytes);
}
std::string Int(uint32_t field, uint64_t v) { return Varint(uint64_t{field} << 3) + Varint(v); }

std::string Node(std::string_view op, std::string_view domain = "", std::string attrs = "") {
  return Len(4, op) + (domain.empty() ? "" : Len(7, domain)) + attrs;
}
std::string ExternalTensor(std::string_view name, std::string_view location) {
  return Len(8, name) + Len(13, Len(1, "location") + Len(2, location)) + Int(14, 1);
}
std::string Model(const std::string& graph, const std::string& extra = "") {
  return Int(1, 8) + Len(2, "test") + Len(7, graph) + Len(8, Len(1, "") + Int(2, 13)) + extra;
}

std::string Fixture(const std::string& name) { return testutil::ReadFixture("onnx", name); }

constexpr Severity kSuspicious = Severity::kSuspicious;
constexpr Severity kDangerous = Severity::kDangerous;

TEST(Onnx, ModelsWrittenByTheOnnxPackageAreRecognisedAndCleanOnesPass) {
  for (const char* name : {"clean.onnx", "external_inside.onnx", "local_function.onnx"}) {
    const std::string bytes = Fixture(name);
    EXPECT_TRUE(LooksLikeOnnx(bytes)) << name;
    for (ScanPolicy policy : {ScanPolicy::kDefault, ScanPolicy::kStrict}) {
      ScanOptions options;
      options.policy = policy;
      FileReport r = ScanBytes(bytes, name, options);
      EXPECT_EQ(r.format, "onnx") << name;
      EXPECT_TRUE(r.clean()) << name << "\n" << Rules(r.findings);
    }
  }
}

TEST(Onnx, ExternalDataOutsideTheModelDirectoryIsDangerous) {
  std::vector<Finding> escape = ScanOnnx(Fixture("external_escape.onnx"), ScanPolicy::kDefault);
  EXPECT_TRUE(Has(escape, "external-data", "tensor 'w' reads its data from '../../../etc/passwd'",
                  kDangerous))
      << Rules(escape);
  EXPECT_TRUE(Has(escape, "external-data", "climbs out", kDangerous)) << Rules(escape);
  std::vector<Finding> absolute = ScanOnnx(Fixture("external_absolute.onnx"), ScanPolicy::kDefault);
  EXPECT_TRUE(Has(absolute, "external-data", "'/etc/shadow': it is an absolute path", kDangerous))
      << Rules(absolute);

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"C:\\Windows\\win.ini", "drive path"}, {"\\\\server\\share\\w", "absolute path"},
      {"http://example.com/w.bin", "URL"},    {"file:w.bin", "URL"},
      {"~/.ssh/id_rsa", "home directory"},    {"a/../../w.bin", "climbs out"},
      {"a\\..\\..\\w.bin", "climbs out"},     {"w.bin\0/etc/passwd"s, "NUL byte"},
  };
  for (const auto& [location, why] : bad) {
    std::vector<Finding> f =
        ScanOnnx(Model(Len(5, ExternalTensor("w", location))), ScanPolicy::kDefault);
    EXPECT_TRUE(Has(f, "external-data", why, kDangerous)) << location << "\n" << Rules(f);
  }
  for (std::string_view fine : {"w.bin", "./weights/w.bin", "a/../w.bin", "data/./w.bin"}) {
    std::vector<Finding> f =
        ScanOnnx(Model(Len(5, ExternalTensor("w", fine))), ScanPolicy::kStrict);
    EXPECT_TRUE(f.empty()) << fine << "\n" << Rules(f);
  }
  // Wherever a tensor sits: a sparse initializer, a Constant node's
  // attribute, a list of attribute tensors.
  const std::string evil = ExternalTensor("e", "/etc/passwd");
  for (const std::string& graph : {Len(15, Len(1, evil)), Len(15, Len(2, evil)),
                                   Len(1, Node("Constant", "", Len(5, Len(5, evil)))),
                                   Len(1, Node("Foo", "", Len(5, Len(10, evil)))),
                                   Len(1, Node("Foo", "", Len(5, Len(22, Len(1, evil)))))}) {
    std::vector<Finding> f = ScanOnnx(Model(graph), ScanPolicy::kDefault);
    EXPECT_TRUE(Has(f, "external-data", "tensor 'e'", kDangerous)) << Rules(f);
  }
}

TEST(Onnx, CustomOperatorDomainsNeedNativeCode) {
  std::vector<Finding> lenient = ScanOnnx(Fixture("custom_domain.onnx"), ScanPolicy::kDefault);
  ASSERT_EQ(lenient.size(), 1u) << Rules(lenient);
  EXPECT_TRUE(Has(lenient, "custom-operator", "com.example.evil::Backdoor", kSuspicious));
  EXPECT_GT(lenient[0].offset, 0u);
  std::vector<Finding> strict = ScanOnnx(Fixture("custom_domain.onnx"), ScanPolicy::kStrict);
  EXPECT_TRUE(Has(strict, "custom-operator", "custom operator library", kDangerous))
      << Rules(strict);

  // ONNX Runtime's own domains: clean by default, suspicious when strict.
  EXPECT_TRUE(ScanOnnx(Fixture("contrib_domain.onnx"), ScanPolicy::kDefault).empty());
  std::vector<Finding> contrib = ScanOnnx(Fixture("contrib_domain.onnx"), ScanPolicy::kStrict);
  EXPECT_TRUE(Has(contrib, "custom-operator", "com.microsoft::FusedMatMul", kSuspicious))
      << Rules(contrib);

  // Subgraphs of If / Loop, training graphs and function bodies are walked.
  std::vector<Finding> sub = ScanOnnx(Fixture("subgraph_custom.onnx"), ScanPolicy::kDefault);
  EXPECT_TRUE(Has(sub, "custom-operator", "com.example.evil::Exfiltrate", kSuspicious))
      << Rules(sub);
  const std::string training =
      Model(Len(1, Node("Relu")), Len(20, Len(2, Len(1, Node("Step", "x.y")))));
  EXPECT_TRUE(
      Has(ScanOnnx(training, ScanPolicy::kDefault), "custom-operator", "x.y::Step", kSuspicious));
  const std::string function_body =
      Model(Len(1, Node("F", "local")),
            Len(25, Len(1, "F") + Len(10, "local") + Len(7, Node("Hook", "evil.ops"))));
  std::vector<Finding> body = ScanOnnx(function_body, ScanPolicy::kDefault);
  ASSERT_EQ(body.size(), 1u) << Rules(body);
  EXPECT_TRUE(Has(body, "custom-operator", "evil.ops::Hook", kSuspicious));
}

TEST(Onnx, MalformedModelsAreFindingsWithOffsets) {
  struct Case {
    std::string name;
    std::string bytes;
    std::string detail;
  };
  std::string deep = Node("Relu");
  for (int i = 0; i < 40; ++i) deep = Node("If", "", Len(5, Len(6, Len(1, deep))));
  const std::vector<Case> cases = {
      {"graph as varint", Int(1, 8) + Len(2, "x") + Int(7, 3) + Len(8, ""),
       "graph (field 7) has the wrong"},
      {"length past end", Int(1, 8) + Len(2, "x") + "\x3a\x40" + "abc", "claims 64 bytes"},
      {"cut varint", Int(1, 8) + Len(7, "") + "\x40\xff", "varint runs past the end"},
      {"group", Int(1, 8) + Len(7, "") + "\x0b", "wire type 3"},
      {"no graph", Int(1, 8) + Len(2, "x") + Len(8, Len(1, "")), "the model has no graph"},
      {"no opset", Int(1, 8) + Len(7, Len(1, Node("Relu"))), "no opset_import"},
      {"no op_type", Model(Len(1, Len(7, "ai.onnx"))), "a node has no op_type"},
      {"external without location",
       Model(Len(5, Len(8, "w") + Len(13, Len(1, "offset") + Len(2, "0")) + Int(14, 1))),
       "tensor 'w' keeps its data externally but names no location"},
      {"empty location", Model(Len(5, ExternalTensor("w", ""))), "empty external data location"},
      {"too deep", Model(Len(1, deep)), "nested more than 64 deep"},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(LooksLikeOnnx(c.bytes)) << c.name;
    std::vector<Finding> f = ScanOnnx(c.bytes, ScanPolicy::kDefault);
    EXPECT_TRUE(Has(f, "malformed-onnx", c.detail, kSuspicious)) << c.name << "\n" << Rules(f);
    for (const Finding& x : f) EXPECT_LE(x.offset, c.bytes.size()) << c.name;
  }
  std::vector<Finding> cut = ScanOnnx(Int(1, 8) + Len(2, "x") + "\x3a\x40" + "abc", {});
  ASSERT_FALSE(cut.empty());
  EXPECT_EQ(cut[0].offset, 5u);  // the graph field's tag
}

TEST(Onnx, RecognisedByShapeNotByName) {
  // Fields in any order, as long as the whole parses and holds a graph.
  const std::string reordered =
      Len(8, Len(1, "") + Int(2, 13)) + Len(7, Len(1, Node("Relu"))) + Int(1, 8);
  EXPECT_TRUE(LooksLikeOnnx(reordered));
  EXPECT_EQ(ScanBytes(reordered, "model.bin", {}).format, "onnx");
  // A cut model still starts like one.
  EXPECT_TRUE(LooksLikeOnnx(Fixture("clean.onnx").substr(0, 3)));
  for (std::string_view other : {"just,a,csv\n1,2,3\n", "\x08", "\x08\x07", "hello world",
                                 "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x12"}) {
    EXPECT_FALSE(LooksLikeOnnx(other)) << other;
  }
  // A wire reader never reads past its message.
  const std::string short_field = "\x0a\x05\x01";
  WireReader reader(short_field);
  WireField f;
  EXPECT_FALSE(reader.Next(f));
  ASSERT_TRUE(reader.error().has_value());
  EXPECT_NE(reader.error()->find("claims 5 bytes, 1 remain"), std::string::npos);
}

TEST(Onnx, EveryTruncationAndSeededCorruptionIsAFindingNeverACrash) {
  const std::string clean = Fixture("clean.onnx");
  ASSERT_GT(clean.size(), 100u);
  for (size_t n = 3; n < clean.size(); ++n) {
    FileReport r = ScanBytes(clean.substr(0, n), "cut.onnx", {});
    EXPECT_EQ(r.format, "onnx") << n;
    EXPECT_FALSE(r.clean()) << "prefix " << n;
  }
  std::mt19937_64 rng(29);
  for (const std::string& base :
       {clean, Fixture("subgraph_custom.onnx"), Fixture("external_escape.onnx")}) {
    for (int i = 0; i < 3000; ++i) {
      std::string bytes = base;
      for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips) {
        bytes[rng() % bytes.size()] = static_cast<char>(rng());
      }
      for (const Finding& f : ScanBytes(bytes, "flipped.onnx", {}).findings) {
        EXPECT_LE(f.offset, bytes.size());
      }
    }
  }
}

}  // namespace
}  // namespace citadel::scan
