#include "base/text/byte_size.h"

#include <gtest/gtest.h>

namespace citadel {
namespace {

TEST(ByteSize, ParsesBinaryAndDecimalUnitsAndPlainBytes) {
  EXPECT_EQ(ParseByteSize("300000"), 300000u);
  EXPECT_EQ(ParseByteSize("512MiB"), 512u * 1024 * 1024);
  EXPECT_EQ(ParseByteSize(" 2 GiB "), 2u * 1024 * 1024 * 1024);
  EXPECT_EQ(ParseByteSize("1.5GB"), 1500000000u);
  EXPECT_EQ(ParseByteSize("64KB"), 64000u);
  EXPECT_EQ(ParseByteSize("10B"), 10u);
  EXPECT_EQ(ParseByteSize("0.5KiB"), 512u);
  EXPECT_EQ(ParseByteSize("1TiB"), uint64_t{1} << 40);
}

TEST(ByteSize, RejectsWhatIsNotASize) {
  for (const char* bad : {"", "MiB", "-1MiB", "2 gb", "2GiBs", "1e3", "abc", "1.2.3MB", "nan",
                          "inf", "99999999999TiB"}) {
    EXPECT_FALSE(ParseByteSize(bad).has_value()) << bad;
  }
}

TEST(ByteSize, FormatsWithTheLargestBinaryUnit) {
  EXPECT_EQ(FormatByteSize(900), "900 B");
  EXPECT_EQ(FormatByteSize(1536), "1.5 KiB");
  EXPECT_EQ(FormatByteSize(512u * 1024 * 1024), "512.0 MiB");
  EXPECT_EQ(FormatByteSize(uint64_t{3} << 30), "3.0 GiB");
}

}  // namespace
}  // namespace citadel
