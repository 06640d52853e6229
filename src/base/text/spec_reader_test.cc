#include "base/text/spec_reader.h"

#include <gtest/gtest.h>

namespace citadel {
namespace {

YamlDocument Doc(const char* text) {
  auto doc = ParseYaml(text, "spec.yaml");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  return *doc;
}

TEST(SpecReader, ReadsTypedFieldsWithDefaults) {
  YamlDocument doc = Doc("train:\n  epochs: 5\n  lr: 0.1\n  hidden: [4, 2]\n  name: x\n");
  SpecReader r(doc, "/train");
  EXPECT_EQ(*r.Int("epochs", 1, 100), 5);
  EXPECT_DOUBLE_EQ(*r.Number("lr", 0, 1), 0.1);
  EXPECT_EQ(*r.IntList("hidden", 1, 100), (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(*r.String("name"), "x");
  EXPECT_EQ(*r.Int("batch", 1, 10, 7), 7);
  EXPECT_EQ(*r.Bool("flag", true), true);
}

TEST(SpecReader, ErrorsNameFileLineAndField) {
  YamlDocument doc = Doc("train:\n  epochs: ten\n");
  SpecReader r(doc, "/train");
  auto e = r.Int("epochs", 1, 100);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(),
            "spec.yaml:2: train/epochs: expected an integer in [1, 100], got 'ten'");
}

TEST(SpecReader, MissingRequiredFieldPointsAtParent) {
  YamlDocument doc = Doc("a: 1\ntrain:\n  lr: 1\n");
  auto e = SpecReader(doc, "/train").String("name");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("spec.yaml:3"), std::string::npos);
  EXPECT_NE(e.status().message().find("required field 'name' is missing"), std::string::npos);
}

TEST(SpecReader, UnknownKeysAreRejected) {
  YamlDocument doc = Doc("m:\n  arch: mlp\n  hiden: [1]\n");
  Status s = SpecReader(doc, "/m").ExpectObject({"arch", "hidden"});
  EXPECT_EQ(s.message(),
            "spec.yaml:3: m/hiden: unknown field 'hiden' (known fields: arch, hidden)");
}

TEST(SpecReader, OutOfRangeNumbersAreRejected) {
  YamlDocument doc = Doc("x: 1.5\n");
  EXPECT_FALSE(SpecReader(doc, "").Number("x", 0, 1).ok());
  EXPECT_FALSE(SpecReader(doc, "").Int("x", 0, 10).ok());
}

}  // namespace
}  // namespace citadel
