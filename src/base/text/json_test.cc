#include "base/text/json.h"

#include <gtest/gtest.h>

namespace citadel {
namespace {

TEST(ParseJson, ParsesAnObject) {
  Result<Json> json = ParseJson(R"({"a": [1, 2.5, "x"]})", "mem");
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_EQ((*json)["a"][2], "x");
}

TEST(ParseJson, MalformedTextIsAnErrorNamingTheSource) {
  Result<Json> json = ParseJson("{nope", "model.json");
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(json.status().message().find("model.json"), std::string::npos);
}

// The safetensors fuzzer found nlohmann throwing out_of_range (not
// parse_error) for this number; ParseJson let it escape the same way.
TEST(ParseJson, NumberPastADoublesRangeIsAnErrorNotAnException) {
  Result<Json> json = ParseJson(R"({"shape": [46e11686018427387904]})", "manifest.json");
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(json.status().message().find("manifest.json"), std::string::npos);
}

}  // namespace
}  // namespace citadel
