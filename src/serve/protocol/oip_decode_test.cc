// Parsing OIP bodies (oip_decode.cc): requests and responses, their
// structure errors, requested outputs, the binary tensor data extension,
// damaged bodies, and the Inference-Header-Content-Length header.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "serve/protocol/oip_codec.h"
#include "serve/protocol/oip_test_util.h"

namespace citadel::serve {
namespace {

using testutil::ErrorOf;
using testutil::Le;
using testutil::OneInput;
using testutil::Parse;
using testutil::U32;

// A request body whose JSON is `json` followed by `binary`.
struct Body {
  std::string bytes;
  size_t header_length;
};
Body WithBinary(const std::string& json, const std::string& binary) {
  return {json + binary, json.size()};
}

// --- The spec's own example ---------------------------------------------------

TEST(OipRequest, ParsesTheSpecExampleRequest) {
  // KServe required_api "Inference Request Examples", with the BOOL input's
  // data completed: the spec's example gives [ true ] for shape [ 3 ].
  const std::string body = R"({
    "id" : "42",
    "inputs" : [
      { "name" : "input0", "shape" : [ 2, 2 ], "datatype" : "UINT32", "data" : [ 1, 2, 3, 4 ] },
      { "name" : "input1", "shape" : [ 3 ], "datatype" : "BOOL", "data" : [ true, false, true ] }
    ],
    "outputs" : [ { "name" : "output0" } ]
  })";
  Result<InferRequest> r = Parse(body);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->id, "42");
  ASSERT_EQ(r->inputs.size(), 2u);
  EXPECT_EQ(r->inputs[0].name, "input0");
  EXPECT_EQ(r->inputs[0].datatype, "UINT32");
  EXPECT_EQ(r->inputs[0].shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(r->inputs[0].numbers, (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(r->inputs[1].numbers, (std::vector<double>{1, 0, 1}));
  ASSERT_EQ(r->outputs.size(), 1u);
  EXPECT_EQ(r->outputs[0].name, "output0");
  EXPECT_FALSE(r->outputs[0].binary);
}

TEST(OipRequest, RejectsTheSpecExampleAsPrintedBecauseBoolHasOneValueForThree) {
  const std::string body =
      R"({"inputs":[{"name":"input1","shape":[3],"datatype":"BOOL","data":[true]}]})";
  EXPECT_EQ(ErrorOf(body), "inputs[0] ('input1'): data has 1 elements, shape [3] needs 3");
}

TEST(OipRequest, IgnoresMembersItDoesNotKnow) {
  const std::string body =
      R"({"model_name":"m","model_version":"1","extra":{"x":[1,{"y":null}]},"inputs":[)"
      R"({"name":"a","shape":[1],"datatype":"FP32","data":[1],"note":"hi"}]})";
  EXPECT_EQ(ErrorOf(body), "OK");
}

// --- Structure errors ---------------------------------------------------------

TEST(OipRequest, RejectsMalformedRequestsNamingThePlace) {
  const std::string ok_input = R"({"name":"a","shape":[1],"datatype":"FP32","data":[1]})";
  struct Case {
    std::string body;
    std::string error;  // expected prefix of the message
  };
  const std::vector<Case> cases = {
      {"", "body is empty"},
      {"not json", "body is not JSON: expected an infer request object '{' at byte 0"},
      {"[1]", "body is not JSON: expected an infer request object '{' at byte 0"},
      {R"({"inputs" [)", "body is not JSON: expected ':' at byte 10"},
      {R"({})", "the request has no 'inputs'"},
      {R"({"inputs":[]})", "'inputs' is empty"},
      {R"({"inputs":{}})", "'inputs' is not a list"},
      {R"({"inputs":[7]})", "inputs[0] is not an object"},
      {R"({"id":7,"inputs":[)" + ok_input + "]}", "'id' is not a string"},
      {R"({"parameters":[],"inputs":[)" + ok_input + "]}", "'parameters' is not an object"},
      {OneInput(R"("shape":[1],"datatype":"FP32","data":[1])"), "inputs[0] has no 'name'"},
      {OneInput(R"("name":"","shape":[1],"datatype":"FP32","data":[1])"),
       "inputs[0].name is empty"},
      {OneInput(R"("name":5,"shape":[1],"datatype":"FP32","data":[1])"),
       "inputs[0].name is not a string"},
      {OneInput(R"("name":"a","datatype":"FP32","data":[1])"), "inputs[0] ('a') has no 'shape'"},
      {OneInput(R"("name":"a","shape":[1],"data":[1])"), "inputs[0] ('a') has no 'datatype'"},
      {OneInput(R"("datatype":"FP33","name":"a","shape":[1],"data":[1])"),
       "inputs[0]: datatype 'FP33' is not an OIP datatype"},
      {OneInput(R"("name":"a","datatype":"fp32","shape":[1],"data":[1])"),
       "inputs[0] ('a'): datatype 'fp32' is not an OIP datatype"},
      {OneInput(R"("name":"a","shape":[1,-2],"datatype":"FP32","data":[1])"),
       "inputs[0].shape[1] is negative"},
      {OneInput(R"("name":"a","shape":[1.5],"datatype":"FP32","data":[1])"),
       "inputs[0].shape[0] is 1.5, not an integer"},
      {OneInput(R"("name":"a","shape":["1"],"datatype":"FP32","data":[1])"),
       "inputs[0].shape[0] is not an integer"},
      {OneInput(R"("name":"a","shape":1,"datatype":"FP32","data":[1])"),
       "inputs[0].shape is not a list"},
      {OneInput(R"("name":"a","shape":[99999999999999999999],"datatype":"FP32","data":[1])"),
       "inputs[0].shape[0] is 99999999999999999999, larger than int64"},
      {OneInput(R"("name":"a","shape":[4294967296,4294967296],"datatype":"FP32","data":[1])"),
       "inputs[0].shape [4294967296,4294967296] has more elements than fit in 64 bits"},
      {OneInput(R"("name":"a","shape":[1],"datatype":"FP32","data":5)"),
       "inputs[0] ('a').data is not a list"},
      {OneInput(R"("name":"a","shape":[1],"datatype":"FP32")"),
       "inputs[0] ('a') has neither 'data' nor parameters.binary_data_size"},
      {OneInput(R"("name":"a","name":"b","shape":[1],"datatype":"FP32","data":[1])"),
       "inputs[0] has 'name' twice"},
      {OneInput(R"("name":"a","shape":[1],"datatype":"FP32","data":[1],"data":[2])"),
       "inputs[0] has 'data' twice"},
      {OneInput(R"("name":"a","shape":[1],"datatype":"FP32","data":[1],"parameters":3)"),
       "inputs[0].parameters is not an object"},
      {R"({"inputs":[)" + ok_input + "," + ok_input + "]}",
       "inputs[1]: name 'a' repeats inputs[0]"},
      {R"({"parameters":{"binary_data_output":"yes"},"inputs":[)" + ok_input + "]}",
       "parameters.binary_data_output is not true or false"},
      {R"({"inputs":[)" + ok_input +
           R"(],"outputs":[{"name":"o","parameters":{"binary_data":1}}]})",
       "outputs[0].parameters.binary_data is not true or false"},
      {R"({"inputs":[)" + ok_input + R"(],"outputs":[{"parameters":{}}]})",
       "outputs[0] has no 'name' string"},
      {R"({"inputs":[)" + ok_input + R"(],"outputs":[{"name":"o"},{"name":"o"}]})",
       "outputs[1]: name 'o' repeats outputs[0]"},
      {R"({"inputs":[)" + ok_input + R"(],"outputs":{}})", "'outputs' is not a list"},
      // Strings: control characters, bad escapes, lone surrogates, bad UTF-8.
      {"{\"id\":\"a\tb\",\"inputs\":[" + ok_input + "]}",
       "body is not JSON: control character in a string (escape it) at byte 8"},
      {R"({"id":"a\qb","inputs":[)" + ok_input + "]}",
       "body is not JSON: invalid escape in a string at byte 9"},
      {R"({"id":"\ud800","inputs":[)" + ok_input + "]}",
       "body is not JSON: high surrogate without its low half"},
      {R"({"id":"\udc00x","inputs":[)" + ok_input + "]}", "body is not JSON: lone low surrogate"},
      {"{\"id\":\"ok \xff\",\"inputs\":[" + ok_input + "]}",
       "body is not JSON: invalid UTF-8 in the string starting at byte 7"},
      {"{\"id\":\"\xc0\xaf\",\"inputs\":[" + ok_input + "]}",  // overlong '/'
       "body is not JSON: invalid UTF-8 in the string starting at byte 7"},
  };
  for (const Case& c : cases) {
    const std::string error = ErrorOf(c.body);
    EXPECT_EQ(error.rfind(c.error, 0), 0u) << c.body << "\n  gave: " << error;
  }
}

// --- Requested outputs ----------------------------------------------------------

TEST(OipRequest, ResolvesWhichOutputsWantBinaryData) {
  const std::string body = R"({"id":"r1","parameters":{"binary_data_output":true,"k":1},)"
                           R"("inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]}],)"
                           R"("outputs":[{"name":"x"},)"
                           R"({"name":"y","parameters":{"binary_data":false}},)"
                           R"({"name":"z","parameters":{"binary_data":true,"top_k":3}}]})";
  Result<InferRequest> r = Parse(body);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->id, "r1");
  EXPECT_TRUE(r->binary_outputs);
  EXPECT_EQ(r->parameters["k"], 1);
  ASSERT_EQ(r->outputs.size(), 3u);
  EXPECT_EQ(r->outputs[0].name, "x");
  EXPECT_TRUE(r->outputs[0].binary);   // the request-wide default
  EXPECT_FALSE(r->outputs[1].binary);  // its own false overrides it
  EXPECT_TRUE(r->outputs[2].binary);
  EXPECT_EQ(r->outputs[2].parameters, Json::parse(R"({"top_k":3})"));

  // Without binary_data_output, outputs are JSON unless they ask.
  Result<InferRequest> plain = Parse(
      R"({"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]}],"outputs":[{"name":"x"}]})");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->binary_outputs);
  EXPECT_FALSE(plain->outputs[0].binary);
  EXPECT_TRUE(plain->id.empty());
}

// --- Binary tensor data extension: requests -----------------------------------------

TEST(OipBinary, ParsesTheExtensionsExampleRequestBuiltByHand) {
  // The extension's example: UINT32 [2,2] in 16 bytes and BOOL [3] in 3,
  // and here also BYTES, FP16, FP32, INT64 and FP64 inputs.
  const std::string json =
      R"({"inputs":[)"
      R"({"name":"input0","shape":[2,2],"datatype":"UINT32","parameters":{"binary_data_size":16}},)"
      R"({"name":"input1","shape":[3],"datatype":"BOOL","parameters":{"binary_data_size":3}},)"
      R"({"name":"text","shape":[2],"datatype":"BYTES","parameters":{"binary_data_size":10}},)"
      R"({"name":"half","shape":[3],"datatype":"FP16","parameters":{"binary_data_size":6}},)"
      R"({"name":"single","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}},)"
      R"({"name":"long","shape":[2],"datatype":"INT64","parameters":{"binary_data_size":16}},)"
      R"({"name":"double","shape":[1],"datatype":"FP64","parameters":{"binary_data_size":8,"x":1}}],)"
      R"("outputs":[{"name":"output0","parameters":{"binary_data":true}}]})";
  std::string binary;
  binary += U32(1) + U32(2) + U32(3) + U32(0xDEADBEEF);
  binary += std::string("\x01\x00\x01", 3);
  binary += U32(2) + "ab" + U32(0);                                   // "ab", ""
  binary += Le(0x3C00, 2) + Le(0xC000, 2) + Le(0x0001, 2);            // 1.0, -2.0, 2^-24
  binary += Le(0x3F800000, 4);                                        // 1.0f
  binary += Le(0xFFFFFFFFFFFFFFFFull, 8) + Le(uint64_t{1} << 53, 8);  // -1, 2^53
  binary += Le(0x3FB999999999999Aull, 8);                             // 0.1
  const Body body = WithBinary(json, binary);

  Result<InferRequest> r = ParseInferRequest(body.bytes, body.header_length);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->inputs.size(), 7u);
  EXPECT_EQ(r->inputs[0].numbers, (std::vector<double>{1, 2, 3, 3735928559.0}));
  EXPECT_EQ(r->inputs[1].numbers, (std::vector<double>{1, 0, 1}));
  EXPECT_EQ(r->inputs[2].strings, (std::vector<std::string>{"ab", ""}));
  EXPECT_EQ(r->inputs[3].numbers, (std::vector<double>{1.0, -2.0, std::ldexp(1.0, -24)}));
  EXPECT_EQ(r->inputs[4].numbers, (std::vector<double>{1.0}));
  EXPECT_EQ(r->inputs[5].numbers, (std::vector<double>{-1, 9007199254740992.0}));
  EXPECT_EQ(r->inputs[6].numbers, (std::vector<double>{0.1}));
  // binary_data_size is consumed; other parameters stay.
  EXPECT_EQ(r->inputs[6].parameters, Json::parse(R"({"x":1})"));
  EXPECT_TRUE(r->outputs[0].binary);
}

TEST(OipBinary, MixesJsonAndBinaryInputs) {
  const std::string json =
      R"({"inputs":[)"
      R"({"name":"j","shape":[2],"datatype":"INT16","data":[-1,2]},)"
      R"({"name":"b","shape":[2],"datatype":"INT16","parameters":{"binary_data_size":4}}]})";
  const Body body = WithBinary(json, Le(0xFFFF, 2) + Le(0x0002, 2));
  Result<InferRequest> r = ParseInferRequest(body.bytes, body.header_length);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->inputs[0].numbers, (std::vector<double>{-1, 2}));
  EXPECT_EQ(r->inputs[1].numbers, (std::vector<double>{-1, 2}));
}

TEST(OipBinary, AHeaderLengthWithNoBinaryInputsIsFine) {
  const std::string json = OneInput(R"("name":"a","shape":[1],"datatype":"FP32","data":[1])");
  EXPECT_EQ(ErrorOf(json, json.size()), "OK");
}

TEST(OipBinary, RejectsBinaryDataThatDoesNotAddUp) {
  auto input = [](const std::string& name, const std::string& shape, const std::string& datatype,
                  const std::string& size) {
    return R"({"name":")" + name + R"(","shape":)" + shape + R"(,"datatype":")" + datatype +
           R"(","parameters":{"binary_data_size":)" + size + "}}";
  };
  // The brief's example: inputs[2] needs 256 bytes at offset 900 of 1000.
  {
    std::string json = R"({"inputs":[)" + input("a", "[16]", "FP32", "64") + "," +
                       input("b", "[36]", "UINT8", "36") + "," + input("c", "[64]", "FP32", "256") +
                       "]}";
    json += std::string(800 - json.size(), ' ');  // pad the header to 800 bytes
    const std::string body = json + std::string(64 + 36 + 100, '\0');
    ASSERT_EQ(body.size(), 1000u);
    EXPECT_EQ(ErrorOf(body, 800),
              "binary data for inputs[2] ('c') runs past the end of the body (needs 256 bytes at "
              "offset 900, body has 1000)");
  }
  const std::string one = R"({"inputs":[)" + input("a", "[2,2]", "UINT32", "16") + "]}";
  EXPECT_EQ(ErrorOf(one + std::string(16, '\0') + "xyz", one.size()),
            "the body has 3 bytes after the binary data of the inputs that nothing uses (is "
            "Inference-Header-Content-Length or a binary_data_size wrong?)");
  EXPECT_EQ(ErrorOf(one + std::string(16, '\0'), 500),
            "Inference-Header-Content-Length 500 is larger than the body (" +
                std::to_string(one.size() + 16) + " bytes)");
  EXPECT_EQ(ErrorOf(one + std::string(16, '\0'), std::nullopt).rfind("body is not JSON", 0), 0u);
  EXPECT_EQ(ErrorOf(one, std::nullopt),
            "inputs[0] ('a') has parameters.binary_data_size but the request has no "
            "Inference-Header-Content-Length header");
  const std::string short_size = R"({"inputs":[)" + input("a", "[2,2]", "UINT32", "15") + "]}";
  EXPECT_EQ(ErrorOf(short_size + std::string(15, '\0'), short_size.size()),
            "inputs[0] ('a'): binary_data_size is 15, shape [2,2] of UINT32 needs 16 bytes");
  for (const char* bad : {"-1", "\"16\"", "1.5", "true"}) {
    const std::string json = R"({"inputs":[)" + input("a", "[1]", "UINT8", bad) + "]}";
    EXPECT_EQ(ErrorOf(json + "x", json.size()),
              "inputs[0].parameters.binary_data_size is not a byte count")
        << bad;
  }
  const std::string both = OneInput(
      R"("name":"a","shape":[1],"datatype":"UINT8","data":[1],"parameters":{"binary_data_size":1})");
  EXPECT_EQ(ErrorOf(both + "x", both.size()),
            "inputs[0] ('a') has both 'data' and parameters.binary_data_size: send it one way");

  const std::string bools = R"({"inputs":[)" + input("flags", "[3]", "BOOL", "3") + "]}";
  EXPECT_EQ(ErrorOf(bools + std::string("\x01\x02\x00", 3), bools.size()),
            "inputs[0] ('flags'): BOOL element 1 is byte 2, not 0 or 1");

  const std::string big = R"({"inputs":[)" + input("n", "[2]", "INT64", "16") + "]}";
  EXPECT_EQ(ErrorOf(big + Le(0, 8) + Le((uint64_t{1} << 53) + 1, 8), big.size()),
            "inputs[0] ('n'): element 1 is 9007199254740993, beyond 2^53, the largest integer "
            "this server holds exactly");
  const std::string ubig = R"({"inputs":[)" + input("n", "[1]", "UINT64", "8") + "]}";
  EXPECT_EQ(ErrorOf(ubig + Le(~uint64_t{0}, 8), ubig.size()),
            "inputs[0] ('n'): element 0 is 18446744073709551615, beyond 2^53, the largest "
            "integer this server holds exactly");
}

TEST(OipBinary, RejectsMalformedBytesElements) {
  auto bytes_input = [](const std::string& shape, size_t size) {
    return R"({"inputs":[{"name":"s","shape":)" + shape +
           R"(,"datatype":"BYTES","parameters":{"binary_data_size":)" + std::to_string(size) +
           "}}]}";
  };
  {
    const std::string binary = U32(1) + "a" + std::string("\x02\x00", 2);  // truncated prefix
    const std::string json = bytes_input("[2]", binary.size());
    EXPECT_EQ(ErrorOf(json + binary, json.size()),
              "inputs[0] ('s'): BYTES element 1 has a truncated length prefix in the binary data");
  }
  {
    const std::string binary = U32(10) + "abc";
    const std::string json = bytes_input("[1]", binary.size());
    EXPECT_EQ(ErrorOf(json + binary, json.size()),
              "inputs[0] ('s'): BYTES element 0 (10 bytes) runs past its binary_data_size (7)");
  }
  {
    const std::string binary = U32(1) + "a";
    const std::string json = bytes_input("[2]", binary.size());
    EXPECT_EQ(ErrorOf(json + binary, json.size()),
              "inputs[0] ('s'): binary data holds 1 BYTES elements, shape [2] needs 2");
  }
  {
    const std::string binary = U32(1) + "a" + U32(1) + "b";
    const std::string json = bytes_input("[1]", binary.size());
    EXPECT_EQ(ErrorOf(json + binary, json.size()),
              "inputs[0] ('s'): binary data holds more than the 1 BYTES elements shape [1] needs");
  }
}

// --- Robustness and small pieces -----------------------------------------------

TEST(OipRequest, SurvivesRandomlyDamagedBodies) {
  // Flipped, dropped and duplicated bytes in a valid binary request: every
  // outcome must be a value or an InvalidArgument, never a throw or a crash
  // (run under ASan/UBSan to catch the quiet kinds).
  const std::string json =
      R"({"id":"f","parameters":{"binary_data_output":true},"inputs":[)"
      R"({"name":"a","shape":[2,2],"datatype":"FP32","data":[[1.5,-2],[3e2,0]]},)"
      R"({"name":"b","shape":[2],"datatype":"BYTES","parameters":{"binary_data_size":11}},)"
      R"({"name":"c","shape":[3],"datatype":"INT64","data":[1,-2,9007199254740992]}],)"
      R"("outputs":[{"name":"o","parameters":{"binary_data":false}}]})";
  const std::string original = json + U32(3) + "abc" + U32(0);
  ASSERT_TRUE(ParseInferRequest(original, json.size()).ok());
  std::mt19937 rng(20240601);
  static constexpr char kAlphabet[] = "{}[],:\"\\-0123456789.eEtrufalsn \x00\xff\xc3";
  const std::string alphabet(kAlphabet, sizeof(kAlphabet) - 1);  // with the NUL
  int parsed = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    std::string body = original;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      const size_t at = rng() % body.size();
      switch (rng() % 3) {
        case 0:
          body[at] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          body.erase(at, 1 + rng() % 8);
          break;
        default:
          body.insert(at, body.substr(at, 1 + rng() % 8));
      }
    }
    std::optional<size_t> header;
    if (rng() % 4 != 0) header = std::min(body.size() + rng() % 3, json.size());
    Result<InferRequest> r = ParseInferRequest(body, header);
    if (r.ok()) {
      ++parsed;
    } else {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    }
  }
  EXPECT_GT(parsed, 0);  // some damage is harmless (a digit changed)
}

TEST(OipHeaderLength, ReadsOnlyDecimalDigits) {
  EXPECT_EQ(ParseInferenceHeaderLength("123").value(), 123u);
  EXPECT_EQ(ParseInferenceHeaderLength("0").value(), 0u);
  for (const char* bad : {"", "-1", "12a", " 12", "0x10", "99999999999999999999999"}) {
    Result<size_t> r = ParseInferenceHeaderLength(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("Inference-Header-Content-Length"), std::string::npos);
  }
}

TEST(OipResponseParse, RejectsResponsesWithoutOutputsAndChecksTheirTensors) {
  EXPECT_EQ(ParseInferResponse(R"({"model_name":"m"})", std::nullopt).status().message(),
            "the response has no 'outputs'");
  EXPECT_EQ(
      ParseInferResponse(R"({"outputs":[{"name":"o","shape":[2],"datatype":"FP32","data":[1]}]})",
                         std::nullopt)
          .status()
          .message(),
      "outputs[0] ('o'): data has 1 elements, shape [2] needs 2");
}

}  // namespace
}  // namespace citadel::serve
