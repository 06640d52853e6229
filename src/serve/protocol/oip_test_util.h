// Helpers the OIP codec's tests share (json_reader_test, oip_decode_test,
// oip_tensor_reader_test, oip_encode_test): hand-built little-endian
// bytes, and parsing a request body down to its error message.
//
// Expectations come from the Open Inference Protocol REST spec (KServe
// "required_api", tensor data and datatypes) and Triton's binary tensor
// data extension: little-endian, row-major, no padding; BOOL one byte 0/1;
// BYTES a 4-byte little-endian length then the bytes; binary data follows
// the JSON in tensor order; Inference-Header-Content-Length is the JSON's
// length. Binary bodies in these tests are built byte by byte here, never
// by the encoder under test.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "serve/protocol/oip_codec.h"

namespace citadel::serve::testutil {

// --- Hand-built little-endian bytes -----------------------------------------

inline std::string Le(uint64_t bits, int width) {
  std::string out;
  for (int i = 0; i < width; ++i) out += static_cast<char>((bits >> (8 * i)) & 0xff);
  return out;
}
inline std::string U32(uint32_t v) { return Le(v, 4); }

inline Result<InferRequest> Parse(const std::string& json) {
  return ParseInferRequest(json, std::nullopt);
}

// The error message of parsing `json`, or "OK" when it parses.
inline std::string ErrorOf(const std::string& json, std::optional<size_t> header = std::nullopt) {
  Result<InferRequest> r = ParseInferRequest(json, header);
  if (r.ok()) return "OK";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status();
  return r.status().message();
}

// A one-input request with the given input members.
inline std::string OneInput(const std::string& members) {
  return R"({"inputs":[{)" + members + "}]}";
}

}  // namespace citadel::serve::testutil
