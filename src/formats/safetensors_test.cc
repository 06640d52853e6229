#include "formats/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace citadel::formats {
namespace {

std::string WithHeader(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

TEST(Safetensors, RoundTripsTensorsAndMetadata) {
  SafetensorsWriter w;
  std::vector<float> weights = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, 8.0f};
  std::vector<int64_t> labels = {3, 1, 4};
  ASSERT_TRUE(w.Add("w", DType::kF32, {2, 3}, BytesOf<float>(weights)).ok());
  ASSERT_TRUE(w.Add("labels", DType::kI64, {3}, BytesOf<int64_t>(labels)).ok());
  w.SetMetadata("format", "citadel");
  auto file = SafetensorsFile::Parse(w.Serialize(), "mem");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto t = file->Get("w");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(std::memcmp((*t)->data.data(), weights.data(), 24), 0);
  EXPECT_EQ(file->metadata().at("format"), "citadel");
  EXPECT_EQ(file->Get("missing").status().code(), StatusCode::kNotFound);
}

TEST(Safetensors, SerialisationIsDeterministicAndAligned) {
  auto build = [](bool reversed) {
    SafetensorsWriter w;
    std::vector<float> a = {1}, b = {2, 3};
    if (reversed) {
      EXPECT_TRUE(w.Add("b", DType::kF32, {2}, BytesOf<float>(b)).ok());
      EXPECT_TRUE(w.Add("a", DType::kF32, {1}, BytesOf<float>(a)).ok());
    } else {
      EXPECT_TRUE(w.Add("a", DType::kF32, {1}, BytesOf<float>(a)).ok());
      EXPECT_TRUE(w.Add("b", DType::kF32, {2}, BytesOf<float>(b)).ok());
    }
    return w.Serialize();
  };
  std::string x = build(false);
  EXPECT_EQ(x, build(true));
  uint64_t n;
  std::memcpy(&n, x.data(), 8);
  EXPECT_EQ(n % 8, 0u);
}

TEST(Safetensors, WriterRejectsSizeMismatch) {
  SafetensorsWriter w;
  EXPECT_EQ(w.Add("w", DType::kF32, {2, 2}, std::string(15, '\0')).code(),
            StatusCode::kInvalidArgument);
}

TEST(Safetensors, FilledTensorsSerialiseExactlyLikeCopiedOnes) {
  std::vector<float> values = {0.5f, -1.0f, 2.0f, 4.0f, 8.0f, -16.0f};
  std::vector<int64_t> ids = {7, 9};
  SafetensorsWriter copied;
  ASSERT_TRUE(copied.Add("x", DType::kF32, {2, 3}, BytesOf<float>(values)).ok());
  ASSERT_TRUE(copied.Add("ids", DType::kI64, {2}, BytesOf<int64_t>(ids)).ok());
  SafetensorsWriter filled;
  size_t seen_bytes = 0;
  ASSERT_TRUE(filled
                  .AddFilled("x", DType::kF32, {2, 3},
                             [&](int64_t first_row, std::span<char> bytes) {
                               EXPECT_EQ(first_row, 0);
                               seen_bytes = bytes.size();
                               std::memcpy(bytes.data(), values.data(), bytes.size());
                             })
                  .ok());
  ASSERT_TRUE(filled.Add("ids", DType::kI64, {2}, BytesOf<int64_t>(ids)).ok());
  EXPECT_TRUE(filled.Serialize() == copied.Serialize());
  EXPECT_EQ(seen_bytes, 24u);
  // A filler that writes nothing leaves zeros, never stale memory.
  SafetensorsWriter untouched;
  ASSERT_TRUE(untouched.AddFilled("z", DType::kI64, {3}, [](int64_t, std::span<char>) {}).ok());
  auto file = SafetensorsFile::Parse(untouched.Serialize(), "mem");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_TRUE((*file->Get("z"))->data == std::string(24, '\0'));
  EXPECT_EQ(untouched.AddFilled("z", DType::kI64, {1}, [](int64_t, std::span<char>) {}).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(untouched.AddFilled("n", DType::kI64, {-1}, [](int64_t, std::span<char>) {}).code(),
            StatusCode::kInvalidArgument);
}

TEST(Safetensors, LargeFilledTensorsStreamInPiecesOfWholeRows) {
  // 1000 rows of 333 float32: ~1.3 MiB, more than one piece; a row (1332
  // bytes) does not divide a MiB, so a piece boundary inside a row would show.
  constexpr int64_t kRows = 1000, kWidth = 333;
  auto value = [](int64_t row, int64_t col) { return static_cast<float>(row * kWidth + col); };
  auto fill = [&](int64_t first_row, std::span<char> bytes) {
    auto* out = reinterpret_cast<float*>(bytes.data());
    const size_t rows = bytes.size() / (kWidth * sizeof(float));
    ASSERT_EQ(rows * kWidth * sizeof(float), bytes.size()) << "a piece holds whole rows";
    for (size_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < kWidth; ++c) out[r * kWidth + c] = value(first_row + r, c);
    }
  };
  SafetensorsWriter writer;
  ASSERT_TRUE(writer.AddFilled("m", DType::kF32, {kRows, kWidth}, fill).ok());
  std::vector<size_t> piece_sizes;
  std::string streamed;
  ASSERT_TRUE(writer
                  .SerializeTo([&](std::string_view bytes) {
                    piece_sizes.push_back(bytes.size());
                    streamed += bytes;
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(streamed, writer.Serialize());
  ASSERT_GE(piece_sizes.size(), 3u) << "header and at least two pieces";
  for (size_t i = 1; i < piece_sizes.size(); ++i) {
    EXPECT_LE(piece_sizes[i], SafetensorsWriter::kStreamPiece);
  }
  auto file = SafetensorsFile::Parse(streamed, "streamed");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  const auto* m = reinterpret_cast<const float*>((*file->Get("m"))->data.data());
  EXPECT_EQ(m[0], value(0, 0));
  EXPECT_EQ(m[kRows * kWidth - 1], value(kRows - 1, kWidth - 1));
  EXPECT_EQ(m[787 * kWidth + 5], value(787, 5));
}

struct BadCase {
  std::string name;
  std::string bytes;
  std::string expected_fragment;
};

TEST(Safetensors, StreamedViewsSerialiseExactlyLikeCopiedOnesAndParseInPlace) {
  const std::vector<float> a = {1.5f, -2.0f, 3.25f, 0.0f};
  const std::vector<int64_t> b = {7, 8, 9};
  SafetensorsWriter copied, streamed;
  ASSERT_TRUE(copied.Add("a", DType::kF32, {2, 2}, BytesOf<float>(a)).ok());
  ASSERT_TRUE(copied.Add("b", DType::kI64, {3}, BytesOf<int64_t>(b)).ok());
  copied.SetMetadata("k", "v");
  const std::string a_bytes = BytesOf<float>(a);
  ASSERT_TRUE(streamed.AddView("a", DType::kF32, {2, 2}, a_bytes).ok());
  ASSERT_TRUE(streamed
                  .AddFilled("b", DType::kI64, {3},
                             [&](int64_t, std::span<char> out) {
                               std::memcpy(out.data(), b.data(), out.size());
                             })
                  .ok());
  streamed.SetMetadata("k", "v");
  std::string pieces;
  int calls = 0;
  ASSERT_TRUE(streamed
                  .SerializeTo([&](std::string_view bytes) {
                    pieces += bytes;
                    ++calls;
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(pieces, copied.Serialize());
  EXPECT_EQ(streamed.Serialize(), copied.Serialize());
  EXPECT_EQ(calls, 3) << "header, then one piece per tensor";
  EXPECT_FALSE(streamed.AddView("c", DType::kF32, {3}, a_bytes).ok())
      << "16 bytes are not 3 floats";

  // A sink error stops the stream and is returned.
  int seen = 0;
  Status stopped = streamed.SerializeTo(
      [&](std::string_view) { return ++seen == 2 ? DataLossError("disk full") : Status::Ok(); });
  EXPECT_EQ(stopped.code(), StatusCode::kDataLoss);
  EXPECT_EQ(seen, 2);

  auto borrowed = SafetensorsFile::ParseBorrowed(pieces, "in place");
  ASSERT_TRUE(borrowed.ok()) << borrowed.status().ToString();
  auto view = borrowed->Get("a");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ((*view)->data.data(), pieces.data() + (pieces.size() - 40))
      << "the view points into the caller's bytes";
  EXPECT_EQ(borrowed->metadata().at("k"), "v");
  EXPECT_FALSE(SafetensorsFile::ParseBorrowed(pieces.substr(0, pieces.size() - 1), "cut").ok());
}

TEST(Safetensors, StrictParserRejectsMalformedFiles) {
  std::string eight(8, '\0');
  std::vector<BadCase> cases = {
      {"too short", "abc", "shorter than"},
      {"header past end",
       [] {
         std::string s(8, '\0');
         s[0] = 100;
         return s + "{}";
       }(),
       "runs past"},
      {"huge header",
       [] {
         std::string s(8, '\0');
         s[5] = 1;
         return s;
       }(),
       "exceeds"},
      {"not json", WithHeader("{nope", ""), "not valid JSON"},
      {"not object", WithHeader("[1]", ""), "not a JSON object"},
      {"bad dtype", WithHeader(R"({"t":{"dtype":"X9","shape":[1],"data_offsets":[0,1]}})", "a"),
       "unknown safetensors dtype"},
      {"size mismatch",
       WithHeader(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", "abcd"),
       "do not match"},
      {"out of range",
       WithHeader(R"({"t":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})", "abcd"), "outside"},
      {"reversed offsets",
       WithHeader(R"({"t":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}})", "abcd"), "outside"},
      {"overlap",
       WithHeader(
           R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}})",
           "abcd"),
       "overlap"},
      {"hole", WithHeader(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}})", "abcd"),
       "unreferenced"},
      {"trailing", WithHeader(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})", "abcd"),
       "trailing"},
      {"negative dim",
       WithHeader(R"({"a":{"dtype":"U8","shape":[-2],"data_offsets":[0,2]}})", "ab"),
       "non-natural"},
      {"overflowing shape",
       WithHeader(R"({"a":{"dtype":"F64","shape":[4294967296,4294967296,4],"data_offsets":[0,0]}})",
                  ""),
       "do not match"},
      {"metadata not strings", WithHeader(R"({"__metadata__":{"a":1}})", ""), "not a string"},
      // Found by fuzz_safetensors: nlohmann throws out_of_range (not
      // parse_error) for a number past a double's range, which escaped.
      {"number overflowing a double",
       WithHeader(R"({"a":{"dtype":"F32","shape":[46e11686018427387904],"data_offsets":[0,8]}})",
                  ""),
       "not valid JSON"},
  };
  for (const auto& c : cases) {
    auto r = SafetensorsFile::Parse(c.bytes, "case.safetensors");
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(r.status().message().find(c.expected_fragment), std::string::npos)
        << c.name << ": " << r.status().message();
    EXPECT_NE(r.status().message().find("case.safetensors"), std::string::npos) << c.name;
  }
}

}  // namespace
}  // namespace citadel::formats
