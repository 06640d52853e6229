// Open Inference Protocol v2 (KServe / Triton REST) bodies: parsing infer
// requests and encoding infer responses, with Triton's binary tensor data
// extension (a JSON header of Inference-Header-Content-Length bytes, then
// the raw tensors). The client side (encode a request, parse a response) is
// here too, for tests, benchmarks and the CLI.
//
// Both directions run on every request, so neither builds a JSON DOM for
// tensor data: parsing is a hand-written reader that converts numbers with
// std::from_chars straight into the tensor, encoding writes text with
// std::to_chars. Every malformed body is an InvalidArgument naming the
// place (`inputs[1] ('age'): data has 63 elements, shape [1,64] needs 64`);
// nothing throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"

namespace citadel::serve {

// One tensor of a request or response. Numbers of every datatype but BYTES
// are held as double: exact for every integer up to 2^53 (a larger INT64 or
// UINT64 element is refused when parsed), and parsed FP32 / FP16 values are
// rounded to float / half, i.e. held as the tensor holds them.
struct Tensor {
  std::string name;
  std::string datatype;  // BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BYTES
  std::vector<int64_t> shape;
  std::vector<double> numbers;       // row-major, every datatype but BYTES (BOOL: 0 or 1)
  std::vector<std::string> strings;  // BYTES, raw bytes (not necessarily UTF-8)
  // Free-form parameters. On an output (or on an input being encoded by
  // EncodeInferRequest) `binary_data: true` asks for the binary extension;
  // the parsers consume `binary_data_size` (the data is in the tensor now).
  Json parameters = Json::object();

  // Product of the shape (1 for a scalar); -1 when a dimension is negative
  // or the product overflows int64, which a parsed tensor never has.
  int64_t ElementCount() const;
};

struct InferRequest {
  std::string id;  // echoed in the response when present
  std::vector<Tensor> inputs;
  Json parameters = Json::object();
  // The outputs the client asked for (empty = all) and whether each wants
  // binary data: its own `binary_data` parameter, else `binary_outputs`.
  // The codec consumes `binary_data`; it is not left in `parameters`.
  struct RequestedOutput {
    std::string name;
    bool binary = false;
    Json parameters = Json::object();
  };
  std::vector<RequestedOutput> outputs;
  bool binary_outputs = false;  // parameters.binary_data_output
};

struct InferResponse {
  std::string model_name, model_version, id;  // empty version / id are left out
  // An output whose parameters carry `binary_data: true` (set by the server
  // from the RequestedOutput) is sent as binary data after the JSON.
  std::vector<Tensor> outputs;
  Json parameters = Json::object();
};

// True for the thirteen OIP datatype names (case-sensitive, as the spec).
bool IsOipDatatype(std::string_view datatype);
// Bytes per element in the binary extension; 0 for BYTES (variable) and for
// unknown names.
size_t DatatypeElementSize(std::string_view datatype);

// The value of an Inference-Header-Content-Length header: decimal digits,
// nothing else. InvalidArgument naming the header otherwise.
Result<size_t> ParseInferenceHeaderLength(std::string_view header_value);

// Parses a POST /v2/models/{m}/infer body. `json_header_length` is the
// Inference-Header-Content-Length header when present: then the body is a
// JSON object of that many bytes followed by the binary data of the inputs
// whose parameters carry binary_data_size, in input order. Binary elements
// are little-endian in the datatype's width, BOOL one byte (0 or 1), BYTES
// a 4-byte little-endian length and the bytes. `data` may be flat or nested
// as the shape (row-major); nesting must match the shape exactly.
//
// Errors, all InvalidArgument with the location: not JSON (with byte
// offset); missing or mistyped fields; unknown datatype; negative or
// overflowing shape; element count differing from the shape; an element
// that does not fit the datatype (3.5 for INT32, 300 for UINT8, true for
// FP32, an integer beyond 2^53); binary data too short, too long, or given
// together with `data`; a header length larger than the body. Allocation is
// bounded by the body's size whatever the shape claims.
Result<InferRequest> ParseInferRequest(std::string_view body,
                                       std::optional<size_t> json_header_length);

struct EncodedBody {
  std::string body;
  // Set when binary data follows the JSON: send it as the
  // Inference-Header-Content-Length header.
  std::optional<size_t> json_header_length;
  std::string content_type;  // application/json, or application/octet-stream with binary data
};

// Encodes a response. Numbers print as the shortest text that reads back to
// the same value of the datatype (FP32 as float, FP64 as double, integers as
// integers, BOOL as true/false); JSON has no NaN or infinity, so those are
// written as null (as JavaScript and nlohmann do; ask for binary_data to
// get them exactly). Strings are escaped; bytes that are not UTF-8 become
// U+FFFD (JSON text must be Unicode; BYTES that are really binary should be
// asked for as binary_data, which carries them untouched). The caller
// guarantees that numbers/strings match each shape; the encoder writes what
// is there.
EncodedBody EncodeInferResponse(const InferResponse& response);

// {"error": message}: the body of every error answer.
std::string EncodeError(std::string_view message);

// Client side: an infer request body. Inputs whose parameters carry
// `binary_data: true` are sent in binary (and so is the rest of the
// request's shape: Inference-Header-Content-Length set); requested outputs
// carry their `binary_data` choice, and `binary_outputs` becomes
// parameters.binary_data_output.
EncodedBody EncodeInferRequest(const InferRequest& request);

// Client side: parses an infer response body, with the same rules and
// errors as ParseInferRequest (outputs in place of inputs).
Result<InferResponse> ParseInferResponse(std::string_view body,
                                         std::optional<size_t> json_header_length);

}  // namespace citadel::serve
