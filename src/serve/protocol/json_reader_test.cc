// The JSON grammar of the OIP decoder (json_reader.h), through
// ParseInferRequest: exactly what nlohmann's strict parser accepts, errors
// at their byte offset, bounded nesting, parameters read as nlohmann would.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "serve/protocol/oip_codec.h"
#include "serve/protocol/oip_test_util.h"

namespace citadel::serve {
namespace {

using testutil::ErrorOf;
using testutil::OneInput;
using testutil::Parse;

// --- Syntax ---------------------------------------------------------------------

TEST(OipRequest, IgnoresALeadingByteOrderMark) {
  // RFC 8259 §8.1: a parser may ignore a BOM.
  EXPECT_EQ(
      ErrorOf("\xEF\xBB\xBF" + OneInput(R"("name":"a","shape":[1],"datatype":"FP32","data":[1])")),
      "OK");
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

}  // namespace
}  // namespace citadel::serve
