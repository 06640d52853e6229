#include "base/text/base64.h"

#include <gtest/gtest.h>

namespace citadel {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded), std::optional<std::string>(plain)) << encoded;
  }
  const std::string bytes("\x00\xff\xfe\x80", 4);
  EXPECT_EQ(Base64Decode(Base64Encode(bytes)), bytes);
  EXPECT_EQ(Base64Decode("Zm9v\nYmFy\n"), std::optional<std::string>("foobar")) << "PEM lines";
}

TEST(Base64, RejectsWhatIsNotPaddedStandardBase64) {
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v!mFy", "Zg==Zg==", "Zm-_", "=Zg="}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace citadel
