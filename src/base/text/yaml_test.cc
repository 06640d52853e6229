#include "base/text/yaml.h"

#include <gtest/gtest.h>

namespace citadel {
namespace {

TEST(Yaml, ScalarsGetCoreSchemaTypes) {
  auto doc = ParseYaml("a: 1\nb: 2.5\nc: true\nd: hello\ne: '7'\nf: ~\ng: -3\n", "t.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  const Json& r = doc->root;
  EXPECT_TRUE(r["a"].is_number_integer());
  EXPECT_EQ(r["a"], 1);
  EXPECT_DOUBLE_EQ(r["b"].get<double>(), 2.5);
  EXPECT_EQ(r["c"], true);
  EXPECT_EQ(r["d"], "hello");
  EXPECT_TRUE(r["e"].is_string());
  EXPECT_TRUE(r["f"].is_null());
  EXPECT_EQ(r["g"], -3);
}

TEST(Yaml, RecordsLinesByJsonPointer) {
  auto doc = ParseYaml("pipeline: x\nsteps:\n  - name: a\n    epochs: 3\n  - name: b\n", "p.yaml");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->LineOf("/steps/0/epochs"), 4);
  EXPECT_EQ(doc->LineOf("/steps/1/name"), 5);
  EXPECT_EQ(doc->LineOf("/steps/1/missing"), 5);  // falls back to the parent
  EXPECT_EQ(doc->Where("/steps/0/epochs"), "p.yaml:4");
}

TEST(Yaml, SyntaxErrorNamesFileAndLine) {
  auto doc = ParseYaml("a: [1, 2\nb: 3\n", "bad.yaml");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(doc.status().message().find("bad.yaml:"), std::string::npos);
}

TEST(Yaml, DuplicateKeysAreRejected) {
  auto doc = ParseYaml("a: 1\na: 2\n", "dup.yaml");
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("dup.yaml:2: duplicate key 'a'"), std::string::npos);
}

TEST(Yaml, FlowMappingsAndListsConvert) {
  auto doc = ParseYaml("m: { arch: mlp, hidden: [128, 64] }\n", "f.yaml");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->root["m"]["hidden"], Json::array({128, 64}));
}

}  // namespace
}  // namespace citadel
