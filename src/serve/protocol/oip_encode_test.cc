// Encoding OIP bodies (oip_encode.cc): responses in JSON and in the binary
// extension's layout, error bodies, and requests and responses that read
// back through the parser unchanged.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <string>
#include <vector>

#include "serve/protocol/oip_codec.h"
#include "serve/protocol/oip_test_util.h"

namespace citadel::serve {
namespace {

using testutil::Le;
using testutil::U32;

// --- Responses -----------------------------------------------------------------

Tensor MakeTensor(std::string name, std::string datatype, std::vector<int64_t> shape,
                  std::vector<double> numbers) {
  Tensor t;
  t.name = std::move(name);
  t.datatype = std::move(datatype);
  t.shape = std::move(shape);
  t.numbers = std::move(numbers);
  return t;
}

TEST(OipResponse, EncodesTheSpecExampleResponse) {
  // The spec's example: output0, FP32 [3,2], id "42".
  InferResponse response;
  response.model_name = "mymodel";
  response.id = "42";
  response.outputs.push_back(MakeTensor("output0", "FP32", {3, 2}, {1.0, 1.1, 2.0, 2.1, 3.0, 3.1}));
  const EncodedBody encoded = EncodeInferResponse(response);
  EXPECT_EQ(encoded.content_type, "application/json");
  EXPECT_FALSE(encoded.json_header_length.has_value());
  const Json json = Json::parse(encoded.body);
  EXPECT_EQ(json["model_name"], "mymodel");
  EXPECT_EQ(json["id"], "42");
  EXPECT_FALSE(json.contains("model_version"));  // "should not provide" when unversioned
  EXPECT_FALSE(json.contains("parameters"));
  ASSERT_EQ(json["outputs"].size(), 1u);
  const Json& out = json["outputs"][0];
  EXPECT_EQ(out["name"], "output0");
  EXPECT_EQ(out["datatype"], "FP32");
  EXPECT_EQ(out["shape"], Json::parse("[3,2]"));
  // FP32 values print as the shortest decimal that reads back as the same
  // float: the float nearest 1.1 prints as 1.1, not 1.100000023841858.
  EXPECT_NE(encoded.body.find(R"("data":[1,1.1,2,2.1,3,3.1])"), std::string::npos) << encoded.body;
}

TEST(OipResponse, WritesNumbersAsTheirDatatypeSpellsThem) {
  InferResponse response;
  response.model_name = "m";
  response.model_version = "3";
  response.outputs.push_back(MakeTensor("f32", "FP32", {2}, {static_cast<double>(0.1f), 1e-45}));
  response.outputs.push_back(
      MakeTensor("f64", "FP64", {3}, {static_cast<double>(0.1f), 0.1, 1e300}));
  response.outputs.push_back(MakeTensor("i64", "INT64", {2}, {-9007199254740992.0, 0}));
  response.outputs.push_back(MakeTensor("u8", "UINT8", {1}, {255}));
  response.outputs.push_back(MakeTensor("b", "BOOL", {2}, {1, 0}));
  response.outputs.push_back(MakeTensor("special", "FP64", {3}, {NAN, INFINITY, -INFINITY}));
  response.outputs.push_back(MakeTensor("h", "FP16", {1}, {1638.0 / 16384}));
  const std::string body = EncodeInferResponse(response).body;
  EXPECT_NE(body.find(R"("data":[0.1,1e-45])"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("data":[0.10000000149011612,0.1,1e+300])"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("data":[-9007199254740992,0])"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("data":[255])"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("data":[true,false])"), std::string::npos) << body;
  // JSON has no NaN or infinity.
  EXPECT_NE(body.find(R"("data":[null,null,null])"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("model_version":"3")"), std::string::npos) << body;
  // Whatever the spelling, the text is JSON and reads back to the values.
  const Json json = Json::parse(body);
  EXPECT_EQ(static_cast<float>(json["outputs"][6]["data"][0].get<double>()),
            static_cast<float>(1638.0 / 16384));
}

TEST(OipResponse, EscapesStringsAndReplacesBytesThatAreNotUtf8) {
  InferResponse response;
  response.model_name = "m \"quoted\"";
  response.id = "line\nbreak";
  Tensor t;
  t.name = "s";
  t.datatype = "BYTES";
  t.shape = {6};
  t.strings = {"plain",
               std::string("\x01\x1f", 2),
               "\xff",
               "caf\xc3\xa9",
               "\xe2\x82"
               "x",
               "back\\slash\ttab"};
  response.outputs.push_back(t);
  const std::string body = EncodeInferResponse(response).body;
  // nlohmann's strict parser is the oracle: it throws on invalid UTF-8 or
  // unescaped control characters.
  Json json;
  ASSERT_NO_THROW(json = Json::parse(body)) << body;
  EXPECT_EQ(json["model_name"], "m \"quoted\"");
  EXPECT_EQ(json["id"], "line\nbreak");
  const Json& data = json["outputs"][0]["data"];
  EXPECT_EQ(data[0], "plain");
  EXPECT_EQ(data[1], std::string("\x01\x1f", 2));
  EXPECT_EQ(data[2], "\xEF\xBF\xBD");  // U+FFFD
  EXPECT_EQ(data[3], "caf\xc3\xa9");   // valid UTF-8 passes through
  EXPECT_EQ(data[4],
            "\xEF\xBF\xBD\xEF\xBF\xBD"
            "x");  // each stray byte replaced
  EXPECT_EQ(data[5], "back\\slash\ttab");
  EXPECT_NE(body.find(R"(\u0001\u001f)"), std::string::npos) << body;
}

TEST(OipResponse, SendsBinaryOutputsAsTheExtensionDescribes) {
  // The extension's example response: output0 FP32 [3,2] in 24 bytes.
  InferResponse response;
  response.model_name = "mymodel";
  Tensor out = MakeTensor("output0", "FP32", {3, 2}, {1.0, -2.0, 0.5, 0, 2.0, 0.25});
  out.parameters["binary_data"] = true;
  response.outputs.push_back(out);
  response.outputs.push_back(MakeTensor("json_out", "INT32", {1}, {7}));
  Tensor text;
  text.name = "text";
  text.datatype = "BYTES";
  text.shape = {2};
  text.strings = {"hi", std::string("\0\xff", 2)};
  text.parameters["binary_data"] = true;
  response.outputs.push_back(text);

  const EncodedBody encoded = EncodeInferResponse(response);
  EXPECT_EQ(encoded.content_type, "application/octet-stream");
  ASSERT_TRUE(encoded.json_header_length.has_value());
  const size_t n = *encoded.json_header_length;
  const Json json = Json::parse(encoded.body.substr(0, n));
  const Json& o0 = json["outputs"][0];
  EXPECT_EQ(o0["parameters"], Json::parse(R"({"binary_data_size":24})"));
  EXPECT_FALSE(o0.contains("data"));
  EXPECT_EQ(json["outputs"][1]["data"], Json::parse("[7]"));
  EXPECT_EQ(json["outputs"][2]["parameters"], Json::parse(R"({"binary_data_size":12})"));
  const std::string expected_binary = Le(0x3F800000, 4) + Le(0xC0000000, 4) + Le(0x3F000000, 4) +
                                      Le(0, 4) + Le(0x40000000, 4) + Le(0x3E800000, 4) + U32(2) +
                                      "hi" + U32(2) + std::string("\0\xff", 2);
  EXPECT_EQ(encoded.body.substr(n), expected_binary);
}

TEST(OipResponse, EncodesEveryDatatypeInBinaryAsTheExtensionLaysItOut) {
  struct Case {
    const char* datatype;
    std::vector<double> values;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      {"BOOL", {1, 0}, std::string("\x01\x00", 2)},
      {"UINT8", {255, 1}, "\xff\x01"},
      {"UINT16", {0x1234}, Le(0x1234, 2)},
      {"UINT32", {4294967295.0}, Le(0xFFFFFFFF, 4)},
      {"UINT64", {9007199254740992.0}, Le(uint64_t{1} << 53, 8)},
      {"INT8", {-1, -128}, "\xff\x80"},
      {"INT16", {-2}, Le(0xFFFE, 2)},
      {"INT32", {-2147483648.0}, Le(0x80000000, 4)},
      {"INT64", {-9007199254740992.0}, Le(static_cast<uint64_t>(-(int64_t{1} << 53)), 8)},
      {"FP16",
       {1.0, -2.0, 65504, 1638.0 / 16384},
       Le(0x3C00, 2) + Le(0xC000, 2) + Le(0x7BFF, 2) + Le(0x2E66, 2)},
      {"FP32", {1.0, -0.0}, Le(0x3F800000, 4) + Le(0x80000000, 4)},
      {"FP64", {0.1}, Le(0x3FB999999999999Aull, 8)},
  };
  for (const Case& c : cases) {
    InferResponse response;
    Tensor t = MakeTensor("o", c.datatype, {static_cast<int64_t>(c.values.size())}, c.values);
    t.parameters["binary_data"] = true;
    response.outputs.push_back(t);
    const EncodedBody encoded = EncodeInferResponse(response);
    ASSERT_TRUE(encoded.json_header_length.has_value()) << c.datatype;
    EXPECT_EQ(encoded.body.substr(*encoded.json_header_length), c.bytes) << c.datatype;
  }
}

// --- Round trips ---------------------------------------------------------------

// One tensor per datatype with edge values, as the codec holds them.
std::vector<Tensor> EveryDatatype() {
  std::vector<Tensor> tensors = {
      MakeTensor("bool", "BOOL", {3}, {1, 0, 1}),
      MakeTensor("u8", "UINT8", {2}, {0, 255}),
      MakeTensor("u16", "UINT16", {2}, {0, 65535}),
      MakeTensor("u32", "UINT32", {2}, {0, 4294967295.0}),
      MakeTensor("u64", "UINT64", {2}, {0, 9007199254740992.0}),
      MakeTensor("i8", "INT8", {2}, {-128, 127}),
      MakeTensor("i16", "INT16", {2}, {-32768, 32767}),
      MakeTensor("i32", "INT32", {2, 1}, {-2147483648.0, 2147483647.0}),
      MakeTensor("i64", "INT64", {2}, {-9007199254740992.0, 9007199254740992.0}),
      MakeTensor("f16", "FP16", {4}, {1638.0 / 16384, 65504, -std::ldexp(1.0, -24), 0}),
      MakeTensor("f32", "FP32", {2, 2},
                 {static_cast<double>(0.1f), static_cast<double>(FLT_MAX),
                  static_cast<double>(FLT_TRUE_MIN), -1.5}),
      MakeTensor("f64", "FP64", {3}, {0.1, 1.7976931348623157e308, -4.9406564584124654e-324}),
  };
  Tensor bytes;
  bytes.name = "bytes";
  bytes.datatype = "BYTES";
  bytes.shape = {4};
  bytes.strings = {"", "h\xc3\xa9llo", "quote\" back\\ nl\n", std::string("\x00\x01", 2)};
  tensors.push_back(bytes);
  return tensors;
}

void ExpectSameTensors(const std::vector<Tensor>& got, const std::vector<Tensor>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].name, want[i].name);
    EXPECT_EQ(got[i].datatype, want[i].datatype) << want[i].name;
    EXPECT_EQ(got[i].shape, want[i].shape) << want[i].name;
    EXPECT_EQ(got[i].numbers, want[i].numbers) << want[i].name;
    EXPECT_EQ(got[i].strings, want[i].strings) << want[i].name;
  }
}

TEST(OipRoundTrip, RequestsOfEveryDatatypeInJsonAndInBinary) {
  for (const bool binary : {false, true}) {
    InferRequest request;
    request.id = "rt-1";
    request.inputs = EveryDatatype();
    request.parameters["priority"] = 2;
    request.binary_outputs = binary;
    request.outputs.push_back({"x", false, Json::object()});
    request.outputs.push_back({"y", true, Json::parse(R"({"k":1})")});
    for (Tensor& t : request.inputs) t.parameters["binary_data"] = binary;
    const EncodedBody encoded = EncodeInferRequest(request);
    EXPECT_EQ(encoded.json_header_length.has_value(), binary);
    Result<InferRequest> parsed = ParseInferRequest(encoded.body, encoded.json_header_length);
    ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << encoded.body;
    ExpectSameTensors(parsed->inputs, request.inputs);
    EXPECT_EQ(parsed->id, "rt-1");
    EXPECT_EQ(parsed->binary_outputs, binary);
    EXPECT_EQ(parsed->parameters["priority"], 2);
    ASSERT_EQ(parsed->outputs.size(), 2u);
    EXPECT_FALSE(parsed->outputs[0].binary);
    EXPECT_TRUE(parsed->outputs[1].binary);
    EXPECT_EQ(parsed->outputs[1].parameters, Json::parse(R"({"k":1})"));
  }
}

TEST(OipRoundTrip, ResponsesOfEveryDatatypeInJsonAndInBinary) {
  for (const bool binary : {false, true}) {
    InferResponse response;
    response.model_name = "model";
    response.model_version = "7";
    response.id = "rt-2";
    response.parameters["sequence_end"] = true;
    response.outputs = EveryDatatype();
    if (binary) {
      for (Tensor& t : response.outputs) t.parameters["binary_data"] = true;
    }
    const EncodedBody encoded = EncodeInferResponse(response);
    Result<InferResponse> parsed = ParseInferResponse(encoded.body, encoded.json_header_length);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->model_name, "model");
    EXPECT_EQ(parsed->model_version, "7");
    EXPECT_EQ(parsed->id, "rt-2");
    EXPECT_EQ(parsed->parameters["sequence_end"], true);
    ExpectSameTensors(parsed->outputs, response.outputs);
  }
}

TEST(OipRoundTrip, BinaryKeepsWhatJsonCannot) {
  // NaN, infinities and non-UTF-8 bytes survive only in binary.
  InferResponse response;
  Tensor f = MakeTensor("f", "FP64", {3}, {INFINITY, -INFINITY, 1});
  f.parameters["binary_data"] = true;
  Tensor s;
  s.name = "s";
  s.datatype = "BYTES";
  s.shape = {1};
  s.strings = {"\xff\xfe"};
  s.parameters["binary_data"] = true;
  response.outputs = {f, s};
  const EncodedBody encoded = EncodeInferResponse(response);
  Result<InferResponse> parsed = ParseInferResponse(encoded.body, encoded.json_header_length);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->outputs[0].numbers, f.numbers);
  EXPECT_EQ(parsed->outputs[1].strings, s.strings);
}

// --- Error bodies -----------------------------------------------------------------

TEST(OipError, EncodesTheMessageAsTheErrorMember) {
  const std::string body = EncodeError("inputs[0] ('a'): \"bad\"\nvalue \xff");
  const Json json = Json::parse(body);
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json["error"], "inputs[0] ('a'): \"bad\"\nvalue \xEF\xBF\xBD");
}

}  // namespace
}  // namespace citadel::serve
