// The GGUF reader and the chat-template check: files built byte by byte
// here (GgufBuilder), the fixtures of tests/fixtures/gguf, every truncation
// and seeded corruption of a valid file.
#include "scan/formats/gguf.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "base/system/files.h"
#include "scan/formats/chat_template.h"
#include "scan/formats/findings_test_util.h"
#include "scan/model_scanner.h"

namespace citadel::scan {
namespace {

using testutil::Has;
using testutil::Rules;

using namespace std::string_literals;

std::string Le(uint64_t v, int width) {
  std::string out;
  for (int i = 0; i < width; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

std::string Str(std::string_view s) { return Le(s.size(), 8) + std::string(s); }

// A GGUF v3 file: key/values, tensor infos, then the data aligned.
class GgufBuilder {
 public:
  GgufBuilder& Kv(std::string_view key, uint32_t type, const std::string& payload) {
    kvs_ += Str(key) + Le(type, 4) + payload;
    ++kv_count_;
    return *this;
  }
  GgufBuilder& Text(std::string_view key, std::string_view value) { return Kv(key, 8, Str(value)); }
  GgufBuilder& Tensor(std::string_view name, std::vector<uint64_t> dims, uint32_t type,
                      uint64_t offset) {
    infos_ += Str(name) + Le(dims.size(), 4);
    for (uint64_t d : dims) infos_ += Le(d, 8);
    infos_ += Le(type, 4) + Le(offset, 8);
    ++tensor_count_;
    return *this;
  }
  GgufBuilder& Version(uint32_t v) {
    version_ = v;
    return *this;
  }
  std::string Build(size_t data_bytes, size_t alignment = 32) const {
    std::string out =
        "GGUF" + Le(version_, 4) + Le(tensor_count_, 8) + Le(kv_count_, 8) + kvs_ + infos_;
    out.resize((out.size() + alignment - 1) / alignment * alignment, '\0');
    return out + std::string(data_bytes, '\x01');
  }

 private:
  std::string kvs_, infos_;
  uint64_t kv_count_ = 0, tensor_count_ = 0;
  uint32_t version_ = 3;
};

std::string Fixture(const std::string& name) { return testutil::ReadFixture("gguf", name); }

TEST(Gguf, AWellFormedFileHasNoFindings) {
  const std::string clean = Fixture("clean.gguf");
  EXPECT_TRUE(LooksLikeGguf(clean));
  EXPECT_TRUE(ScanGguf(clean).empty()) << Rules(ScanGguf(clean));
  ScanOptions strict;
  strict.policy = ScanPolicy::kStrict;
  FileReport r = ScanBytes(clean, "clean.gguf", strict);
  EXPECT_EQ(r.format, "gguf");
  EXPECT_TRUE(r.clean()) << Rules(r.findings);

  // Every value type, nested arrays, a quantized tensor and a custom alignment.
  const std::string every =
      GgufBuilder()
          .Kv("u8", 0, Le(1, 1))
          .Kv("i8", 1, Le(2, 1))
          .Kv("u16", 2, Le(3, 2))
          .Kv("i16", 3, Le(4, 2))
          .Kv("u32", 4, Le(5, 4))
          .Kv("i32", 5, Le(6, 4))
          .Kv("f32", 6, Le(0, 4))
          .Kv("bool", 7, Le(1, 1))
          .Text("general.name", "tiny")
          .Kv("u64", 10, Le(7, 8))
          .Kv("i64", 11, Le(8, 8))
          .Kv("f64", 12, Le(0, 8))
          .Kv("general.alignment", 4, Le(64, 4))
          .Kv("nested", 9,
              Le(9, 4) + Le(2, 8) + Le(4, 4) + Le(1, 8) + Le(1, 4) + Le(8, 4) + Le(1, 8) + Str("x"))
          .Tensor("q.weight", {64, 2}, 2, 0)  // Q4_0: 4 blocks of 18
          .Tensor("f.weight", {3}, 0, 128)
          .Build(128 + 12, 64);
  EXPECT_TRUE(ScanGguf(every).empty()) << Rules(ScanGguf(every));
}

TEST(Gguf, AChatTemplateWithAnInjectionPayloadIsDangerous) {
  const std::string file = Fixture("template_ssti.gguf");
  std::vector<Finding> f = ScanGguf(file);
  ASSERT_FALSE(f.empty());
  for (const Finding& x : f) {
    EXPECT_EQ(x.severity, Severity::kDangerous);
    EXPECT_EQ(x.rule, "template-injection");
  }
  EXPECT_TRUE(Has(f, "template-injection", "tokenizer.chat_template: 'lipsum'")) << Rules(f);
  EXPECT_TRUE(Has(f, "template-injection", "'__globals__'")) << Rules(f);
  EXPECT_TRUE(Has(f, "template-injection", "'popen'")) << Rules(f);
  EXPECT_TRUE(Has(f, "template-injection", "CVE-2024-34359")) << Rules(f);
  // The offset points at the marker in the file.
  EXPECT_EQ(file.substr(f[0].offset, 6), "lipsum") << Rules(f);

  // Named templates (tool_use, rag) are rendered too.
  const std::string named =
      GgufBuilder()
          .Text("tokenizer.chat_template", "{{ messages[0]['content'] }}")
          .Text("tokenizer.chat_template.tool_use", "{{ cycler.__init__.__globals__ }}")
          .Build(0);
  std::vector<Finding> n = ScanGguf(named);
  EXPECT_TRUE(Has(n, "template-injection", "tokenizer.chat_template.tool_use: 'cycler'"))
      << Rules(n);
  // A template that is not a string.
  EXPECT_TRUE(Has(ScanGguf(GgufBuilder().Kv("tokenizer.chat_template", 4, Le(1, 4)).Build(0)),
                  "malformed-gguf", "is not a string"));
}

TEST(ChatTemplate, RealTemplatesPassAndPayloadsAreNamed) {
  const std::vector<std::string> benign = {
      // ChatML, Llama 3 (namespace, raise_exception, 'system' role), Mistral, Gemma.
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
      "message['content'] + '<|im_end|>\\n'}}{% endfor %}{% if add_generation_prompt %}"
      "{{ '<|im_start|>assistant\\n' }}{% endif %}",
      "{%- set ns = namespace(found=false) -%}{%- for m in messages -%}{%- if m.role == 'system' "
      "-%}{%- set ns.found = true -%}{%- endif -%}{%- endfor -%}{{ bos_token }}{% if not "
      "ns.found %}{{ raise_exception('no system message') }}{% endif %}{{ messages | tojson }}",
      "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != "
      "(loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate') }}"
      "{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + "
      "' [/INST]' }}{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}",
      // Prose outside tags and inside literals is text, not code.
      "You may exec code, call os.popen and eval __globals__ {# a comment: __class__ #}"
      "{{ 'You can exec any eval you like' }}{{ strftime_now('%Y-%m-%d') }}",
  };
  for (const std::string& t : benign) {
    std::vector<TemplateMarker> m = FindTemplateInjection(t);
    EXPECT_TRUE(m.empty()) << t << "\n" << (m.empty() ? "" : m[0].marker);
  }
  const std::vector<std::pair<std::string, std::string>> payloads = {
      {"{{ ''.__class__.__mro__[1].__subclasses__() }}", "__class__"},
      {"{{ self._TemplateReference__context.joiner }}", "self"},
      {"{{ self._TemplateReference__context }}", "_TemplateReference__context"},
      {"{{ request|attr('application') }}", "request"},
      {"{{ x|attr('\\x5f\\x5fglobals\\x5f\\x5f') }}", "attr"},
      {"{{ x['\\x5f\\x5fglobals\\x5f\\x5f'] }}", "'\\x5f\\x5fglobals\\x5f\\x5f'"},
      {"{{ x['__glob' ~ 'als__'] }}", "'__glob'"},
      {"{% set y = namespace.__init__ %}", "namespace."},
      {"{{ config.items() }}", "config"},
      {"{{ lipsum['os'] }}", "'os'"},
      {"{% if true %}{{ joiner }}{% endif %}", "joiner"},
      // A "}}" closing a nested dict does not end the tag.
      {"{{ {'a': {'b': 1}} ~ url_for }}", "url_for"},
      {"{{- x.mro() -}}", "mro"},
      {"{{ get_flashed_messages }}", "get_flashed_messages"},
  };
  for (const auto& [text, marker] : payloads) {
    bool found = false;
    for (const TemplateMarker& m : FindTemplateInjection(text)) found |= m.marker == marker;
    EXPECT_TRUE(found) << text << " should name " << marker;
  }
}

TEST(Gguf, BrokenStructureIsAFindingWithItsOffset) {
  struct Case {
    std::string name;
    std::string bytes;
    std::string detail;
  };
  const std::string header3 = "GGUF"s + Le(3, 4);
  const std::vector<Case> cases = {
      {"short header", "GGUF\x03\x00"s, "header is truncated"},
      {"version 1", "GGUF"s + Le(1, 4) + Le(0, 16), "version 1"},
      {"big-endian", "GGUF"s + Le(0x03000000, 4) + Le(0, 16), "big-endian"},
      {"version 9", "GGUF"s + Le(9, 4) + Le(0, 16), "unknown GGUF version 9"},
      {"kv count", header3 + Le(0, 8) + Le(uint64_t{1} << 60, 8), "key/values cannot fit"},
      {"tensor count", header3 + Le(uint64_t{1} << 62, 8) + Le(0, 8), "tensor infos cannot fit"},
      {"key past end", header3 + Le(0, 8) + Le(1, 8) + Le(1000, 8) + "abc" + Le(0, 16),
       "key of 1000 bytes runs past the end"},
      {"unknown type", GgufBuilder().Kv("k", 77, Le(0, 8)).Build(0), "unknown value type 77"},
      {"array count", GgufBuilder().Kv("a", 9, Le(10, 4) + Le(uint64_t{1} << 40, 8)).Build(0),
       "cannot fit"},
      {"array element type", GgufBuilder().Kv("a", 9, Le(99, 4) + Le(1, 8)).Build(0),
       "unknown array element type 99"},
      {"nesting",
       GgufBuilder()
           .Kv("a", 9,
               Le(9, 4) + Le(1, 8) + Le(9, 4) + Le(1, 8) + Le(9, 4) + Le(1, 8) + Le(9, 4) +
                   Le(1, 8) + Le(9, 4) + Le(1, 8) + Le(0, 4) + Le(0, 8))
           .Build(0),
       "nested more than 4 deep"},
      {"duplicate key", GgufBuilder().Text("k", "a").Text("k", "b").Build(0),
       "key 'k' appears twice"},
      {"alignment", GgufBuilder().Kv("general.alignment", 4, Le(24, 4)).Build(0),
       "general.alignment is not a power of two"},
      {"alignment type", GgufBuilder().Kv("general.alignment", 10, Le(32, 8)).Build(0),
       "general.alignment is not a power of two"},
      {"dims", GgufBuilder().Tensor("t", {1, 1, 1, 1, 1}, 0, 0).Build(32), "5 dimensions"},
      {"ggml type", GgufBuilder().Tensor("t", {4}, 4, 0).Build(32), "unknown ggml type 4"},
      {"block", GgufBuilder().Tensor("t", {33}, 2, 0).Build(64), "not a multiple of Q4_0's"},
      {"overflow", GgufBuilder().Tensor("t", {uint64_t{1} << 62, 8}, 0, 0).Build(32),
       "element count overflows"},
      {"misaligned", GgufBuilder().Tensor("t", {2}, 0, 8).Build(64), "offset 8 is not aligned"},
      {"past end", GgufBuilder().Tensor("t", {16}, 0, 0).Build(32),
       "64 bytes at data offset 0 run past the 32-byte data section"},
      {"overlap", GgufBuilder().Tensor("a", {8}, 0, 0).Tensor("b", {8}, 0, 0).Build(32),
       "tensor 'b' overlaps tensor 'a'"},
      {"duplicate tensor", GgufBuilder().Tensor("a", {1}, 0, 0).Tensor("a", {1}, 0, 32).Build(64),
       "tensor 'a' appears twice"},
      {"long name", GgufBuilder().Tensor(std::string(64, 'n'), {1}, 0, 0).Build(32),
       "longer than ggml's 63"},
      {"no data", GgufBuilder().Tensor("t", {1}, 0, 0).Build(0), "run past the 0-byte data"},
      {"cut padding", GgufBuilder().Tensor("t", {1}, 0, 0).Build(0).substr(0, 60),
       "data section (at 64) starts past the end"},
  };
  for (const Case& c : cases) {
    std::vector<Finding> f = ScanGguf(c.bytes);
    EXPECT_TRUE(Has(f, "malformed-gguf", c.detail)) << c.name << ":\n" << Rules(f);
    for (const Finding& x : f) {
      EXPECT_EQ(x.severity, Severity::kSuspicious) << c.name;
      EXPECT_LE(x.offset, c.bytes.size()) << c.name;
    }
  }
  // The kv count's offset is named.
  std::vector<Finding> kv = ScanGguf(header3 + Le(0, 8) + Le(uint64_t{1} << 60, 8));
  ASSERT_EQ(kv.size(), 1u);
  EXPECT_EQ(kv[0].offset, 16u);
  EXPECT_TRUE(Has(ScanGguf(Fixture("overlapping.gguf")), "malformed-gguf", "overlaps"));
}

TEST(Gguf, EveryTruncationAndSeededCorruptionIsAFindingNeverACrash) {
  const std::string clean = Fixture("clean.gguf");
  ASSERT_GT(clean.size(), 100u);
  for (size_t n = 0; n < clean.size(); ++n) {
    const std::string prefix = clean.substr(0, n);
    EXPECT_FALSE(ScanGguf(prefix).empty()) << "prefix " << n;
    FileReport r = ScanBytes(prefix, "cut.gguf", {});
    if (n >= 4) {
      EXPECT_FALSE(r.clean()) << "prefix " << n;
    }
  }
  std::mt19937_64 rng(23);
  for (const std::string& base : {clean, Fixture("template_ssti.gguf")}) {
    for (int i = 0; i < 3000; ++i) {
      std::string bytes = base;
      for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips) {
        bytes[rng() % bytes.size()] = static_cast<char>(rng());
      }
      for (const Finding& f : ScanBytes(bytes, "flipped.gguf", {}).findings) {
        EXPECT_LE(f.offset, bytes.size());
      }
    }
  }
}

}  // namespace
}  // namespace citadel::scan
