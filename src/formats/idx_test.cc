#include "formats/idx.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace citadel::formats {
namespace {

// An IDX file: magic, type, dims, then `data` as given (already big-endian).
std::vector<std::byte> Idx(uint8_t type, std::vector<uint32_t> dims, std::vector<uint8_t> data) {
  std::vector<uint8_t> raw = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) raw.push_back(static_cast<uint8_t>(d >> shift));
  }
  raw.insert(raw.end(), data.begin(), data.end());
  std::vector<std::byte> out(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) out[i] = std::byte{raw[i]};
  return out;
}

std::string ErrorOf(const std::vector<std::byte>& bytes) {
  auto r = ParseIdx(bytes, "x.idx");
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

TEST(Idx, ParsesAnUnsignedByteMatrix) {
  auto bytes = Idx(0x08, {2, 3}, {0, 1, 2, 253, 254, 255});
  auto a = ParseIdx(bytes, "x.idx");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->type, IdxType::kU8);
  EXPECT_EQ(a->dims, (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(a->size(), 6u);
  EXPECT_TRUE(a->is_integer());
  EXPECT_EQ(a->IntAt(0), 0);
  EXPECT_EQ(a->IntAt(3), 253);
  EXPECT_EQ(a->IntAt(5), 255);
  EXPECT_EQ(a->DoubleAt(4), 254.0);
}

TEST(Idx, DecodesEveryElementTypeBigEndian) {
  // The arrays view their bytes, so the bytes are kept alive beside them.
  auto sbyte_bytes = Idx(0x09, {2}, {0xFF, 0x7F});
  auto sbyte = ParseIdx(sbyte_bytes);
  ASSERT_TRUE(sbyte.ok());
  EXPECT_EQ(sbyte->IntAt(0), -1);
  EXPECT_EQ(sbyte->IntAt(1), 127);

  auto i16_bytes = Idx(0x0B, {2}, {0x01, 0x02, 0xFF, 0xFE});
  auto i16 = ParseIdx(i16_bytes);
  ASSERT_TRUE(i16.ok());
  EXPECT_EQ(i16->IntAt(0), 0x0102);
  EXPECT_EQ(i16->IntAt(1), -2);

  auto i32_bytes = Idx(0x0C, {1}, {0x80, 0x00, 0x00, 0x00});
  auto i32 = ParseIdx(i32_bytes);
  ASSERT_TRUE(i32.ok());
  EXPECT_EQ(i32->IntAt(0), INT32_MIN);

  // 1.5f = 0x3FC00000; -2.0 (double) = 0xC000000000000000.
  auto f32_bytes = Idx(0x0D, {1}, {0x3F, 0xC0, 0x00, 0x00});
  auto f32 = ParseIdx(f32_bytes);
  ASSERT_TRUE(f32.ok());
  EXPECT_FALSE(f32->is_integer());
  EXPECT_EQ(f32->DoubleAt(0), 1.5);
  auto f64_bytes = Idx(0x0E, {1}, {0xC0, 0, 0, 0, 0, 0, 0, 0});
  auto f64 = ParseIdx(f64_bytes);
  ASSERT_TRUE(f64.ok());
  EXPECT_EQ(f64->DoubleAt(0), -2.0);
}

TEST(Idx, AcceptsFourDimensionsAndAZeroDimension) {
  auto four_bytes = Idx(0x08, {1, 2, 1, 2}, {1, 2, 3, 4});
  auto four = ParseIdx(four_bytes);
  ASSERT_TRUE(four.ok()) << four.status();
  EXPECT_EQ(four->size(), 4u);
  auto empty_bytes = Idx(0x08, {0, 28, 28}, {});
  auto empty = ParseIdx(empty_bytes);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->size(), 0u);
}

TEST(Idx, RejectsTruncatedData) {
  EXPECT_EQ(ErrorOf(Idx(0x08, {2, 3}, {1, 2, 3, 4, 5})),
            "x.idx: IDX dimensions 2 × 3 of ubyte need 6 data bytes, the file has 5 (truncated); "
            "re-download or re-create the file");
  // A 32-bit element cut in half.
  EXPECT_NE(ErrorOf(Idx(0x0C, {1}, {0, 0})).find("need 4 data bytes, the file has 2"),
            std::string::npos);
}

TEST(Idx, RejectsTrailingBytes) {
  EXPECT_NE(ErrorOf(Idx(0x08, {2}, {1, 2, 3})).find("the file has 3 (trailing bytes"),
            std::string::npos);
}

TEST(Idx, RejectsABadMagicAndSaysWhenTheDataIsGzip) {
  auto bytes = Idx(0x08, {1}, {7});
  bytes[1] = std::byte{1};
  EXPECT_NE(ErrorOf(bytes).find("bad IDX magic 00 01"), std::string::npos);
  bytes[0] = std::byte{0x1f};
  bytes[1] = std::byte{0x8b};
  EXPECT_NE(ErrorOf(bytes).find("gzip-compressed"), std::string::npos);
}

TEST(Idx, RejectsUnknownTypesAndDimensionCounts) {
  EXPECT_NE(ErrorOf(Idx(0x0A, {1}, {0})).find("unknown IDX element type 0x0a"), std::string::npos);
  EXPECT_NE(ErrorOf(Idx(0x08, {}, {})).find("has 0 dimensions; 1 to 4"), std::string::npos);
  EXPECT_NE(ErrorOf(Idx(0x08, {1, 1, 1, 1, 1}, {0})).find("has 5 dimensions"), std::string::npos);
}

TEST(Idx, RejectsAShortHeader) {
  auto bytes = Idx(0x08, {3, 3}, {});
  bytes.resize(9);  // the second dimension is cut after one byte
  EXPECT_NE(ErrorOf(bytes).find("truncated IDX header: 2 dimensions need 12 header bytes"),
            std::string::npos);
  EXPECT_NE(ErrorOf({std::byte{0}, std::byte{0}}).find("2 bytes is too short"), std::string::npos);
  EXPECT_NE(ErrorOf({}).find("0 bytes is too short"), std::string::npos);
}

TEST(Idx, RejectsDimensionsWhoseSizeOverflows) {
  // 8 × (2^32 - 1)^4 does not fit in 64 bits.
  uint32_t max = 0xFFFFFFFF;
  EXPECT_NE(ErrorOf(Idx(0x0E, {max, max, max, max}, {1, 2, 3})).find("overflow a 64-bit size"),
            std::string::npos);
  // An empty array's shape is bounded too: a zero dimension counts as one.
  EXPECT_NE(ErrorOf(Idx(0x0E, {0, max, max, max}, {})).find("overflow a 64-bit size"),
            std::string::npos);
  // Huge but representable: refused by the length check without allocating.
  EXPECT_NE(ErrorOf(Idx(0x08, {max, max}, {1})).find("need 18446744065119617025 data bytes"),
            std::string::npos);
}

TEST(Idx, RecognisesIdxByContent) {
  EXPECT_TRUE(LooksLikeIdx(Idx(0x08, {1}, {5})));
  EXPECT_FALSE(LooksLikeIdx(Idx(0x07, {1}, {5})));
  EXPECT_FALSE(LooksLikeIdx(Idx(0x08, {}, {})));
  const std::string csv = "a,b\n";
  EXPECT_FALSE(LooksLikeIdx(std::as_bytes(std::span(csv))));
}

TEST(Idx, NamesTypes) {
  EXPECT_EQ(IdxTypeName(IdxType::kU8), "ubyte");
  EXPECT_EQ(IdxTypeName(IdxType::kF64), "float64");
  EXPECT_EQ(IdxTypeSize(IdxType::kI16), 2u);
  EXPECT_EQ(IdxTypeFromByte(0x0D), IdxType::kF32);
  EXPECT_FALSE(IdxTypeFromByte(0x00).has_value());
}

}  // namespace
}  // namespace citadel::formats
