#include "serve/protocol/oip_codec.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace citadel::serve {
namespace {

// Expectations come from the Open Inference Protocol REST spec (KServe
// "required_api", tensor data and datatypes) and Triton's binary tensor
// data extension: little-endian, row-major, no padding; BOOL one byte 0/1;
// BYTES a 4-byte little-endian length then the bytes; binary data follows
// the JSON in tensor order; Inference-Header-Content-Length is the JSON's
// length. Binary bodies in these tests are built byte by byte here, never
// by the encoder under test.

// --- Hand-built little-endian bytes -----------------------------------------

std::string Le(uint64_t bits, int width) {
  std::string out;
  for (int i = 0; i < width; ++i) out += static_cast<char>((bits >> (8 * i)) & 0xff);
  return out;
}
std::string U32(uint32_t v) { return Le(v, 4); }

// A request body whose JSON is `json` followed by `binary`.
struct Body {
  std::string bytes;
  size_t header_length;
};
Body WithBinary(const std::string& json, const std::string& binary) {
  return {json + binary, json.size()};
}

Result<InferRequest> Parse(const std::string& json) {
  return ParseInferRequest(json, std::nullopt);
}

// The error message of parsing `json`, or "OK" when it parses.
std::string ErrorOf(const std::string& json, std::optional<size_t> header = std::nullopt) {
  Result<InferRequest> r = ParseInferRequest(json, header);
  if (r.ok()) return "OK";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status();
  return r.status().message();
}

// A one-input request with the given input members.
std::string OneInput(const std::string& members) { return R"({"inputs":[{)" + members + "}]}"; }

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

TEST(OipRequest, AcceptsNestedDataInTheShapesFormAndFlatData) {
  // The spec's 2×2 matrix example: [[1,2],[4,5]] or flat [1,2,4,5].
  Result<InferRequest> nested =
      Parse(OneInput(R"("name":"m","shape":[2,2],"datatype":"INT32","data":[[1,2],[4,5]])"));
  Result<InferRequest> flat =
      Parse(OneInput(R"("name":"m","shape":[2,2],"datatype":"INT32","data":[1,2,4,5])"));
  ASSERT_TRUE(nested.ok()) << nested.status();
  ASSERT_TRUE(flat.ok()) << flat.status();
  EXPECT_EQ(nested->inputs[0].numbers, (std::vector<double>{1, 2, 4, 5}));
  EXPECT_EQ(flat->inputs[0].numbers, nested->inputs[0].numbers);

  Result<InferRequest> three_d =
      Parse(OneInput(R"("name":"t","shape":[2,1,2],"datatype":"FP64","data":[[[1.5,2]],[[3,4]]])"));
  ASSERT_TRUE(three_d.ok()) << three_d.status();
  EXPECT_EQ(three_d->inputs[0].numbers, (std::vector<double>{1.5, 2, 3, 4}));

  // Empty dimensions, nested and flat.
  EXPECT_EQ(ErrorOf(OneInput(R"("name":"e","shape":[2,0],"datatype":"FP32","data":[[],[]])")),
            "OK");
  EXPECT_EQ(ErrorOf(OneInput(R"("name":"e","shape":[0],"datatype":"FP32","data":[])")), "OK");
  // A scalar (shape []) holds one element.
  EXPECT_EQ(ErrorOf(OneInput(R"("name":"s","shape":[],"datatype":"FP32","data":[7])")), "OK");
}

TEST(OipRequest, RejectsNestingThatDoesNotFollowTheShape) {
  struct Case {
    const char* shape;
    const char* data;
    const char* error;
  };
  const Case cases[] = {
      {"[3,2]", "[[1,2,3],[4,5,6]]",
       "inputs[0] ('x'): data[0] has 3 entries, shape [3,2] needs 2 at dimension 1"},
      {"[2,2]", "[[1,2],[3]]",
       "inputs[0] ('x'): data[1] has 1 entries, shape [2,2] needs 2 at dimension 1"},
      {"[3,1]", "[[1],[2]]",
       "inputs[0] ('x'): data has 2 entries, shape [3,1] needs 3 at dimension 0"},
      {"[2,2]", "[[1,2],3]", "inputs[0] ('x'): data mixes lists and values at data[1]"},
      {"[1,1]", "[[[1]]]", "inputs[0] ('x'): data is nested 3 deep, shape [1,1] has 2 dimensions"},
      {"[2,1]", "[[1],[[2]]]", "inputs[0] ('x'): data is ragged: data[1][0]"},
      {"[4]", "[[1,2],[3,4]]",
       "inputs[0] ('x'): data is nested 2 deep, shape [4] has 1 dimensions"},
  };
  for (const Case& c : cases) {
    const std::string body = OneInput(std::string(R"("name":"x","datatype":"FP32","shape":)") +
                                      c.shape + R"(,"data":)" + c.data);
    const std::string error = ErrorOf(body);
    EXPECT_EQ(error.find(c.error), 0u) << body << "\n  gave: " << error;
  }
}

TEST(OipRequest, ReadsDataWrittenBeforeItsShapeAndDatatype) {
  // Members may come in any order; data is checked once the shape is known.
  Result<InferRequest> r =
      Parse(OneInput(R"("data":[[1,2,3]],"datatype":"INT8","shape":[1,3],"name":"late")"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->inputs[0].numbers, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(ErrorOf(OneInput(R"("data":[1,200],"shape":[2],"datatype":"INT8","name":"late")")),
            "inputs[0] ('late'): data[1] is 200, outside [-128, 127] (INT8)");
}

TEST(OipRequest, IgnoresALeadingByteOrderMark) {
  // RFC 8259 §8.1: a parser may ignore a BOM.
  EXPECT_EQ(
      ErrorOf("\xEF\xBB\xBF" + OneInput(R"("name":"a","shape":[1],"datatype":"FP32","data":[1])")),
      "OK");
}

TEST(OipRequest, IgnoresMembersItDoesNotKnow) {
  const std::string body =
      R"({"model_name":"m","model_version":"1","extra":{"x":[1,{"y":null}]},"inputs":[)"
      R"({"name":"a","shape":[1],"datatype":"FP32","data":[1],"note":"hi"}]})";
  EXPECT_EQ(ErrorOf(body), "OK");
}

// --- Element values against datatypes ---------------------------------------

TEST(OipRequest, HoldsEachDatatypesValuesExactly) {
  struct Case {
    const char* datatype;
    const char* data;
    std::vector<double> expected;
  };
  const Case cases[] = {
      {"BOOL", "[true,false]", {1, 0}},
      {"UINT8", "[0,255]", {0, 255}},
      {"UINT16", "[0,65535]", {0, 65535}},
      {"UINT32", "[0,4294967295]", {0, 4294967295.0}},
      {"UINT64", "[0,9007199254740992]", {0, 9007199254740992.0}},
      {"INT8", "[-128,127]", {-128, 127}},
      {"INT16", "[-32768,32767]", {-32768, 32767}},
      {"INT32", "[-2147483648,2147483647]", {-2147483648.0, 2147483647.0}},
      {"INT64", "[-9007199254740992,9007199254740992]", {-9007199254740992.0, 9007199254740992.0}},
      // An integer written with a fraction of zeros or an exponent is still one.
      {"INT32", "[3.0,1e3,-2.50e1,0.0]", {3, 1000, -25, 0}},
      // FP32 values are held as the float they round to.
      {"FP32",
       "[0.1,-3.4028234663852886e38,1e-45]",
       {static_cast<double>(0.1f), -3.4028234663852886e38, static_cast<double>(1e-45f)}},
      {"FP64", "[0.1,1e308,-5e-324,1e-400]", {0.1, 1e308, -5e-324, 0}},
      // FP16: 0.1 rounds to 0x2E66 = 1638/16384; 65504 is the largest half;
      // 1+2^-11 is a tie that rounds to even (1.0); 1+3·2^-11 rounds up to
      // 1+2^-9; 2^-24 is the smallest subnormal.
      {"FP16",
       "[0.1,65504,1.00048828125,1.00146484375,5.9604644775390625e-8]",
       {1638.0 / 16384, 65504, 1.0, 1.001953125, std::ldexp(1.0, -24)}},
  };
  for (const Case& c : cases) {
    const std::string count = std::to_string(c.expected.size());
    const std::string body = OneInput(std::string(R"("name":"v","shape":[)") + count +
                                      R"(],"datatype":")" + c.datatype + R"(","data":)" + c.data);
    Result<InferRequest> r = Parse(body);
    ASSERT_TRUE(r.ok()) << body << ": " << r.status();
    EXPECT_EQ(r->inputs[0].numbers, c.expected) << body;
  }
}

TEST(OipRequest, RejectsValuesThatDoNotFitTheDatatypeNamingTheElement) {
  struct Case {
    const char* datatype;
    const char* data;  // two elements
    const char* error;
  };
  const Case cases[] = {
      {"INT32", "[1,3.5]", "data[1] is 3.5, not an integer (INT32)"},
      {"UINT8", "[300,1]", "data[0] is 300, outside [0, 255] (UINT8)"},
      {"UINT8", "[1,-1]", "data[1] is -1, outside [0, 255] (UINT8)"},
      {"INT8", "[-129,0]", "data[0] is -129, outside [-128, 127] (INT8)"},
      {"UINT32", "[4294967296,0]", "data[0] is 4294967296, outside [0, 4294967295] (UINT32)"},
      {"FP32", "[true,1]", "data[0] is true, not a number (FP32)"},
      {"FP32", "[1,\"2\"]", "data[1] is a string, not a number (FP32)"},
      {"FP64", "[null,1]", "data[0] is null, not a number (FP64)"},
      {"FP32", "[1e39,1]", "data[0] is 1e39, outside FP32's range"},
      {"FP16", "[1,70000]", "data[1] is 70000, outside FP16's range"},
      {"BOOL", "[1,true]", "data[0] is 1, not true or false (BOOL)"},
      {"BOOL", "[true,\"false\"]", "data[1] is a string, not true or false (BOOL)"},
      {"BYTES", "[\"a\",5]", "data[1] is a number, BYTES elements are strings (BYTES)"},
      {"BYTES", "[\"a\",{}]", "data[1] is an object, BYTES elements are strings (BYTES)"},
      // 2^53 + 1 would silently become 2^53 in a double.
      {"INT64", "[9007199254740993,0]", "data[0] is 9007199254740993, beyond 2^53"},
      {"UINT64", "[0,18446744073709551615]", "data[1] is 18446744073709551615, beyond 2^53"},
      {"INT64", "[0,-9007199254740993]", "data[1] is -9007199254740993, beyond 2^53"},
      {"INT64", "[0,1e16]", "data[1] is 1e16, beyond 2^53"},
      // Looks like 1 after rounding to double; is not an integer.
      {"INT32", "[1.00000000000000001,0]", "data[0] is 1.00000000000000001, not an integer"},
      {"INT32", "[0,2.5e0]", "data[1] is 2.5e0, not an integer"},
  };
  for (const Case& c : cases) {
    const std::string body = OneInput(std::string(R"("name":"v","shape":[2],"datatype":")") +
                                      c.datatype + R"(","data":)" + c.data);
    const std::string error = ErrorOf(body);
    EXPECT_EQ(error.rfind(std::string("inputs[0] ('v'): ") + c.error, 0), 0u)
        << body << "\n  gave: " << error;
  }
}

TEST(OipRequest, NamesNestedElementsByTheirPath) {
  EXPECT_EQ(
      ErrorOf(OneInput(R"("name":"n","shape":[2,2],"datatype":"INT32","data":[[1,2],[3,4.5]])")),
      "inputs[0] ('n'): data[1][1] is 4.5, not an integer (INT32)");
}

TEST(OipRequest, RefusesNaNAndInfinityWhichJsonCannotSpell) {
  for (const char* data : {"[NaN]", "[Infinity]", "[-Infinity]", "[nan]"}) {
    const std::string error = ErrorOf(
        OneInput(std::string(R"("name":"f","shape":[1],"datatype":"FP32","data":)") + data));
    EXPECT_EQ(error.rfind("body is not JSON", 0), 0u) << data << ": " << error;
  }
  EXPECT_EQ(ErrorOf(OneInput(R"("name":"f","shape":[1],"datatype":"FP64","data":[1e999])"))
                .rfind("body is not JSON: number 1e999 is out of a double's range at byte", 0),
            0u);
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

TEST(OipRequest, ReportsSyntaxErrorsAtTheirByteOffset) {
  const std::string ok = R"({"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1]})";
  // Cut short: the error is at the end of the text.
  EXPECT_EQ(ErrorOf(ok), "body is not JSON: it ends early at byte " + std::to_string(ok.size()) +
                             " (expected ',' or ']')");
  // Trailing garbage: at the 'x', the last byte.
  const std::string garbage = ok + "]} x";
  EXPECT_EQ(ErrorOf(garbage),
            "body is not JSON: unexpected bytes after the request object at byte " +
                std::to_string(garbage.size() - 1));
  // A trailing comma: the ']' where a value should be.
  const std::string comma = ok + ",]}";
  EXPECT_EQ(ErrorOf(comma),
            "body is not JSON: expected a value at byte " + std::to_string(comma.size() - 2));
}

TEST(OipRequest, ChecksTheElementCountAgainstTheShape) {
  // The brief's example: the second input has 63 values for shape [1,64].
  std::string values;
  for (int i = 0; i < 63; ++i) values += (i ? "," : "") + std::to_string(i);
  const std::string body = R"({"inputs":[{"name":"id","shape":[1],"datatype":"INT64","data":[7]},)"
                           R"({"name":"age","shape":[1,64],"datatype":"FP32","data":[)" +
                           values + "]}]}";
  EXPECT_EQ(ErrorOf(body), "inputs[1] ('age'): data has 63 elements, shape [1,64] needs 64");
  // Too many is as wrong as too few.
  EXPECT_EQ(ErrorOf(OneInput(R"("name":"a","shape":[2],"datatype":"FP32","data":[1,2,3])")),
            "inputs[0] ('a'): data has 3 elements, shape [2] needs 2");
}

TEST(OipRequest, AHugeShapeAllocatesNothingBeforeTheCountIsChecked) {
  // 10^15 FP32 elements would be 4 PB; the request carries one value.
  EXPECT_EQ(
      ErrorOf(OneInput(R"("name":"a","shape":[1000000,1000000000],"datatype":"FP32","data":[1])")),
      "inputs[0] ('a'): data has 1 elements, shape [1000000,1000000000] needs 1000000000000000");
  // Same in binary: the size is checked against the shape first.
  const std::string json = OneInput(
      R"("name":"a","shape":[1000000,1000000000],"datatype":"FP32","parameters":{"binary_data_size":4})");
  EXPECT_EQ(ErrorOf(json + U32(0), json.size()),
            "inputs[0] ('a'): binary_data_size is 4, shape [1000000,1000000000] of FP32 needs "
            "4000000000000000 bytes");
}

TEST(OipRequest, RefusesDeepNestingWithoutExhaustingTheStack) {
  const std::string deep(100000, '[');
  std::string error =
      ErrorOf(OneInput(R"("name":"a","shape":[1],"datatype":"FP32","data":)" + deep));
  EXPECT_NE(error.find("nesting deeper than 64"), std::string::npos) << error;
  error = ErrorOf(R"({"parameters":{"p":)" + deep + "}}");
  EXPECT_NE(error.find("nesting deeper than 64"), std::string::npos) << error;
}

// --- Parameters and requested outputs ------------------------------------------

TEST(OipRequest, ReadsParametersAsNlohmannWould) {
  const std::string parameters =
      R"({"a":[1,-2,3.5,"\u00e9\ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t",true,false,null,{"b":{}}],)"
      R"("big":18446744073709551615,"neg":-9223372036854775808,"huger":18446744073709551616,)"
      R"("tiny":1e-400,"e":-0.0e+5,"dup":1,"dup":2})";
  Result<InferRequest> r = Parse(R"({"parameters":)" + parameters +
                                 R"(,"inputs":[{"name":"a","shape":[0],)"
                                 R"("datatype":"FP32","data":[]}]})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->parameters, Json::parse(parameters));
  EXPECT_TRUE(r->parameters["big"].is_number_unsigned());
  EXPECT_TRUE(r->parameters["neg"].is_number_integer());
}

TEST(OipRequest, AcceptsExactlyTheJsonThatNlohmannAccepts) {
  // Each snippet is placed as a parameter value; the reader must agree with
  // nlohmann's strict parser on whether it is JSON.
  const std::vector<std::string> snippets = {
      "0",
      "-0",
      "01",
      "1.",
      ".5",
      "-",
      "+1",
      "1e",
      "1e+",
      "1E-7",
      "0.0e-0",
      "-12.5e+3",
      "tru",
      "true",
      "nul",
      "null",
      "falsey",
      "\"\\x\"",
      "\"\\u12\"",
      "\"\\u12G4\"",
      "\"\\uD834\\uDD1E\"",
      "\"\\uD834\"",
      "\"\\uDD1E\"",
      "[1,]",
      "[,1]",
      "[1 2]",
      "[]",
      "{\"a\":1,}",
      "{\"a\" 1}",
      "{1:2}",
      "{}",
      "\"a\tb\"",
      "\"\\/\"",
      "[[[]]]",
      "\"\xe2\x82\xac\"",
      "\"\xe2\x82\"",
      "\"\xed\xa0\x80\"",
      "\"\xf4\x90\x80\x80\"",
      "1 2",
      "\"a\" \"b\"",
  };
  for (const std::string& snippet : snippets) {
    const std::string object = R"({"p":)" + snippet + "}";
    const bool nlohmann_accepts = Json::accept(object);
    const std::string body = R"({"parameters":)" + object +
                             R"(,"inputs":[{"name":"a","shape":[0],"datatype":"FP32","data":[]}]})";
    const std::string error = ErrorOf(body);
    EXPECT_EQ(error == "OK", nlohmann_accepts) << snippet << ": " << error;
    if (nlohmann_accepts && error == "OK") {
      EXPECT_EQ(Parse(body)->parameters, Json::parse(object)) << snippet;
    }
  }
}

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

// --- Small pieces ------------------------------------------------------------------

TEST(OipError, EncodesTheMessageAsTheErrorMember) {
  const std::string body = EncodeError("inputs[0] ('a'): \"bad\"\nvalue \xff");
  const Json json = Json::parse(body);
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json["error"], "inputs[0] ('a'): \"bad\"\nvalue \xEF\xBF\xBD");
}

TEST(OipTensor, CountsElementsOfTheShape) {
  Tensor t;
  EXPECT_EQ(t.ElementCount(), 1);  // a scalar
  t.shape = {2, 3, 4};
  EXPECT_EQ(t.ElementCount(), 24);
  t.shape = {0, int64_t{1} << 62, 8};
  EXPECT_EQ(t.ElementCount(), 0);
  t.shape = {int64_t{1} << 62, 4};
  EXPECT_EQ(t.ElementCount(), -1);
}

TEST(OipDatatypes, KnowsTheThirteenNamesAndTheirWidths) {
  EXPECT_TRUE(IsOipDatatype("FP16"));
  EXPECT_TRUE(IsOipDatatype("BYTES"));
  EXPECT_FALSE(IsOipDatatype("fp32"));
  EXPECT_FALSE(IsOipDatatype("FP8"));
  EXPECT_EQ(DatatypeElementSize("BOOL"), 1u);
  EXPECT_EQ(DatatypeElementSize("FP16"), 2u);
  EXPECT_EQ(DatatypeElementSize("UINT32"), 4u);
  EXPECT_EQ(DatatypeElementSize("INT64"), 8u);
  EXPECT_EQ(DatatypeElementSize("BYTES"), 0u);
  EXPECT_EQ(DatatypeElementSize("STRING"), 0u);
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
