// A tensor's `data` against its shape and datatype (oip_tensor_reader.h),
// through ParseInferRequest: nested or flat, counted against the shape,
// each element held exactly as its datatype holds it or refused by path.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "serve/protocol/oip_codec.h"
#include "serve/protocol/oip_test_util.h"

namespace citadel::serve {
namespace {

using testutil::ErrorOf;
using testutil::OneInput;
using testutil::Parse;
using testutil::U32;

// --- Data against the shape ---------------------------------------------------

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

}  // namespace
}  // namespace citadel::serve
