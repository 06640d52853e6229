// Decoding OIP bodies (oip_codec.h): ParseInferRequest and
// ParseInferResponse — the top-level members, the requested outputs and
// their binary_data choice, and the binary tensor data after the JSON —
// and ParseInferenceHeaderLength. Each tensor list's JSON is read by
// oip_tensor_reader.h, on json_reader.h.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <system_error>

#include "serve/protocol/json_reader.h"
#include "serve/protocol/oip_codec.h"
#include "serve/protocol/oip_dtype.h"
#include "serve/protocol/oip_tensor_reader.h"

namespace citadel::serve {

using internal::Dtype;
using internal::HalfBitsToDouble;
using internal::JsonReader;
using internal::LoadLe;
using internal::Quote;
using internal::ReadTensorList;
using internal::ShapeText;
using internal::TensorSlot;

namespace {

// The binary data of the slots that carry binary_data_size, in order, from
// `body` at `offset` onwards; all of it must be used.
Status ReadBinaryTensors(std::string_view list, std::vector<TensorSlot>& slots,
                         std::string_view body, size_t offset, bool have_header) {
  for (size_t i = 0; i < slots.size(); ++i) {
    TensorSlot& slot = slots[i];
    if (!slot.binary_size) continue;
    Tensor& t = slot.tensor;
    const std::string where = fmt::format("{}[{}] ('{}')", list, i, t.name);
    if (!have_header) {
      return InvalidArgumentError(
          fmt::format("{} has parameters.binary_data_size but the request has no "
                      "Inference-Header-Content-Length header",
                      where));
    }
    const uint64_t size = *slot.binary_size;
    if (size > body.size() - offset) {
      return InvalidArgumentError(fmt::format(
          "binary data for {} runs past the end of the body (needs {} bytes at offset {}, body "
          "has {})",
          where, size, offset, body.size()));
    }
    const char* p = body.data() + offset;
    const size_t element_size = slot.dtype->size;
    const uint64_t count = static_cast<uint64_t>(slot.element_count);
    if (slot.dtype->type == Dtype::kBytes) {
      // Each element takes at least its 4-byte length: bound the reserve.
      t.strings.reserve(std::min<uint64_t>(count, size / 4));
      uint64_t at = 0;
      while (at < size) {
        if (size - at < 4) {
          return InvalidArgumentError(
              fmt::format("{}: BYTES element {} has a truncated length prefix in the binary data",
                          where, t.strings.size()));
        }
        const uint32_t length = LoadLe<uint32_t>(p + at);
        at += 4;
        if (length > size - at) {
          return InvalidArgumentError(
              fmt::format("{}: BYTES element {} ({} bytes) runs past its binary_data_size ({})",
                          where, t.strings.size(), length, size));
        }
        if (t.strings.size() == count) {
          return InvalidArgumentError(
              fmt::format("{}: binary data holds more than the {} BYTES elements shape {} needs",
                          where, count, ShapeText(t.shape)));
        }
        t.strings.emplace_back(p + at, length);
        at += length;
      }
      if (t.strings.size() != count) {
        return InvalidArgumentError(
            fmt::format("{}: binary data holds {} BYTES elements, shape {} needs {}", where,
                        t.strings.size(), ShapeText(t.shape), count));
      }
    } else {
      // count · element_size cannot overflow past `size` unnoticed: compare
      // by division.
      if (size % element_size != 0 || size / element_size != count) {
        return InvalidArgumentError(
            fmt::format("{}: binary_data_size is {}, shape {} of {} needs {} bytes", where, size,
                        ShapeText(t.shape), t.datatype,
                        count <= std::numeric_limits<uint64_t>::max() / element_size
                            ? fmt::format("{}", count * element_size)
                            : std::string("more than 2^64")));
      }
      t.numbers.resize(count);
      double* out = t.numbers.data();
      for (uint64_t k = 0; k < count; ++k) {
        const char* e = p + k * element_size;
        double v = 0;
        switch (slot.dtype->type) {
          case Dtype::kBool: {
            const auto byte = static_cast<uint8_t>(*e);
            if (byte > 1) {
              return InvalidArgumentError(
                  fmt::format("{}: BOOL element {} is byte {}, not 0 or 1", where, k, byte));
            }
            v = byte;
            break;
          }
          case Dtype::kUint8:
            v = LoadLe<uint8_t>(e);
            break;
          case Dtype::kUint16:
            v = LoadLe<uint16_t>(e);
            break;
          case Dtype::kUint32:
            v = LoadLe<uint32_t>(e);
            break;
          case Dtype::kUint64: {
            const uint64_t x = LoadLe<uint64_t>(e);
            if (x > (uint64_t{1} << 53)) {
              return InvalidArgumentError(fmt::format(
                  "{}: element {} is {}, beyond 2^53, the largest integer this server holds "
                  "exactly",
                  where, k, x));
            }
            v = static_cast<double>(x);
            break;
          }
          case Dtype::kInt8:
            v = LoadLe<int8_t>(e);
            break;
          case Dtype::kInt16:
            v = LoadLe<int16_t>(e);
            break;
          case Dtype::kInt32:
            v = LoadLe<int32_t>(e);
            break;
          case Dtype::kInt64: {
            const int64_t x = LoadLe<int64_t>(e);
            constexpr int64_t kLimit = int64_t{1} << 53;
            if (x > kLimit || x < -kLimit) {
              return InvalidArgumentError(fmt::format(
                  "{}: element {} is {}, beyond 2^53, the largest integer this server holds "
                  "exactly",
                  where, k, x));
            }
            v = static_cast<double>(x);
            break;
          }
          case Dtype::kFp16:
            v = HalfBitsToDouble(LoadLe<uint16_t>(e));
            break;
          case Dtype::kFp32:
            v = LoadLe<float>(e);
            break;
          case Dtype::kFp64:
            v = LoadLe<double>(e);
            break;
          case Dtype::kBytes:
            break;
        }
        out[k] = v;
      }
    }
    offset += size;
  }
  if (offset != body.size()) {
    return InvalidArgumentError(
        fmt::format("the body has {} bytes after the binary data of the {} that nothing uses (is "
                    "Inference-Header-Content-Length or a binary_data_size wrong?)",
                    body.size() - offset, list));
  }
  return Status::Ok();
}

// The JSON part of a body and where binary data starts.
Result<std::string_view> JsonPart(std::string_view body, std::optional<size_t> header_length) {
  if (!header_length) return body;
  if (*header_length > body.size()) {
    return InvalidArgumentError(
        fmt::format("Inference-Header-Content-Length {} is larger than the body ({} bytes)",
                    *header_length, body.size()));
  }
  return body.substr(0, *header_length);
}

Status CheckUniqueNames(std::string_view list, const std::vector<TensorSlot>& slots) {
  for (size_t i = 1; i < slots.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (slots[i].tensor.name == slots[j].tensor.name) {
        return InvalidArgumentError(fmt::format("{}[{}]: name '{}' repeats {}[{}]", list, i,
                                                slots[i].tensor.name, list, j));
      }
    }
  }
  return Status::Ok();
}

Status ReadStringMember(JsonReader& r, std::string_view name, std::string* out) {
  if (r.Peek() != '"') return r.NotA(fmt::format("'{}' is not a string", name));
  return r.ReadString(out);
}

Status ReadObjectMember(JsonReader& r, std::string_view name, Json* out) {
  if (r.Peek() != '{') return r.NotA(fmt::format("'{}' is not an object", name));
  return r.ReadValue(out, 1);
}

}  // namespace

// ---------------------------------------------------------------------------
// Public API

Result<size_t> ParseInferenceHeaderLength(std::string_view header_value) {
  size_t value = 0;
  const auto r =
      std::from_chars(header_value.data(), header_value.data() + header_value.size(), value);
  if (header_value.empty() || r.ec != std::errc() ||
      r.ptr != header_value.data() + header_value.size()) {
    return InvalidArgumentError(fmt::format(
        "Inference-Header-Content-Length '{}' is not a byte count", Quote(header_value)));
  }
  return value;
}

Result<InferRequest> ParseInferRequest(std::string_view body,
                                       std::optional<size_t> json_header_length) {
  ASSIGN_OR_RETURN(std::string_view json, JsonPart(body, json_header_length));
  JsonReader r(json);
  r.SkipByteOrderMark();
  if (r.Peek() != '{') {
    if (r.AtEnd()) return InvalidArgumentError("body is empty: expected an infer request object");
    return r.SyntaxError("expected an infer request object '{'");
  }
  r.Expect('{').IgnoreError();
  InferRequest request;
  std::vector<TensorSlot> slots;
  std::vector<std::optional<bool>> output_binary;  // each output's own binary_data, if given
  bool has_inputs = false, has_outputs = false, has_parameters = false, has_id = false;
  bool first = true;
  std::string key;
  for (;;) {
    bool done;
    OIP_RETURN_IF_ERROR(r.NextMember(&first, &key, &done));
    if (done) break;
    if (key == "id") {
      if (has_id) return InvalidArgumentError("the request has 'id' twice");
      has_id = true;
      OIP_RETURN_IF_ERROR(ReadStringMember(r, "id", &request.id));
    } else if (key == "parameters") {
      if (has_parameters) return InvalidArgumentError("the request has 'parameters' twice");
      has_parameters = true;
      OIP_RETURN_IF_ERROR(ReadObjectMember(r, "parameters", &request.parameters));
    } else if (key == "inputs") {
      if (has_inputs) return InvalidArgumentError("the request has 'inputs' twice");
      has_inputs = true;
      OIP_RETURN_IF_ERROR(ReadTensorList(r, "inputs", &slots));
    } else if (key == "outputs") {
      if (has_outputs) return InvalidArgumentError("the request has 'outputs' twice");
      has_outputs = true;
      if (r.Peek() != '[') return r.NotA("'outputs' is not a list");
      Json outputs;
      OIP_RETURN_IF_ERROR(r.ReadValue(&outputs, 1));
      for (size_t i = 0; i < outputs.size(); ++i) {
        Json& o = outputs[i];
        if (!o.is_object())
          return InvalidArgumentError(fmt::format("outputs[{}] is not an object", i));
        InferRequest::RequestedOutput requested;
        const auto name = o.find("name");
        if (name == o.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) {
          return InvalidArgumentError(fmt::format("outputs[{}] has no 'name' string", i));
        }
        requested.name = name->get<std::string>();
        std::optional<bool> binary;
        if (const auto p = o.find("parameters"); p != o.end()) {
          if (!p->is_object()) {
            return InvalidArgumentError(fmt::format("outputs[{}].parameters is not an object", i));
          }
          requested.parameters = std::move(*p);
          if (const auto b = requested.parameters.find("binary_data");
              b != requested.parameters.end()) {
            if (!b->is_boolean()) {
              return InvalidArgumentError(
                  fmt::format("outputs[{}].parameters.binary_data is not true or false", i));
            }
            binary = b->get<bool>();
            requested.parameters.erase(b);
          }
        }
        request.outputs.push_back(std::move(requested));
        output_binary.push_back(binary);
      }
    } else {
      OIP_RETURN_IF_ERROR(r.ReadValue(nullptr, 1));  // model_name and the like: not ours to check
    }
  }
  if (!r.AtEnd()) return r.SyntaxError("unexpected bytes after the request object");
  if (!has_inputs) return InvalidArgumentError("the request has no 'inputs'");
  if (slots.empty()) return InvalidArgumentError("'inputs' is empty");
  OIP_RETURN_IF_ERROR(CheckUniqueNames("inputs", slots));
  if (const auto b = request.parameters.find("binary_data_output"); b != request.parameters.end()) {
    if (!b->is_boolean()) {
      return InvalidArgumentError("parameters.binary_data_output is not true or false");
    }
    request.binary_outputs = b->get<bool>();
  }
  for (size_t i = 0; i < request.outputs.size(); ++i) {
    request.outputs[i].binary = output_binary[i].value_or(request.binary_outputs);
    for (size_t j = 0; j < i; ++j) {
      if (request.outputs[j].name == request.outputs[i].name) {
        return InvalidArgumentError(fmt::format("outputs[{}]: name '{}' repeats outputs[{}]", i,
                                                request.outputs[i].name, j));
      }
    }
  }
  OIP_RETURN_IF_ERROR(
      ReadBinaryTensors("inputs", slots, body, json.size(), json_header_length.has_value()));
  request.inputs.reserve(slots.size());
  for (TensorSlot& slot : slots) request.inputs.push_back(std::move(slot.tensor));
  return request;
}

Result<InferResponse> ParseInferResponse(std::string_view body,
                                         std::optional<size_t> json_header_length) {
  ASSIGN_OR_RETURN(std::string_view json, JsonPart(body, json_header_length));
  JsonReader r(json);
  r.SkipByteOrderMark();
  if (r.Peek() != '{') return r.SyntaxError("expected an infer response object '{'");
  r.Expect('{').IgnoreError();
  InferResponse response;
  std::vector<TensorSlot> slots;
  bool has_outputs = false;
  bool first = true;
  std::string key;
  for (;;) {
    bool done;
    OIP_RETURN_IF_ERROR(r.NextMember(&first, &key, &done));
    if (done) break;
    if (key == "model_name") {
      OIP_RETURN_IF_ERROR(ReadStringMember(r, key, &response.model_name));
    } else if (key == "model_version") {
      OIP_RETURN_IF_ERROR(ReadStringMember(r, key, &response.model_version));
    } else if (key == "id") {
      OIP_RETURN_IF_ERROR(ReadStringMember(r, key, &response.id));
    } else if (key == "parameters") {
      OIP_RETURN_IF_ERROR(ReadObjectMember(r, key, &response.parameters));
    } else if (key == "outputs") {
      if (has_outputs) return InvalidArgumentError("the response has 'outputs' twice");
      has_outputs = true;
      OIP_RETURN_IF_ERROR(ReadTensorList(r, "outputs", &slots));
    } else {
      OIP_RETURN_IF_ERROR(r.ReadValue(nullptr, 1));
    }
  }
  if (!r.AtEnd()) return r.SyntaxError("unexpected bytes after the response object");
  if (!has_outputs) return InvalidArgumentError("the response has no 'outputs'");
  OIP_RETURN_IF_ERROR(CheckUniqueNames("outputs", slots));
  OIP_RETURN_IF_ERROR(
      ReadBinaryTensors("outputs", slots, body, json.size(), json_header_length.has_value()));
  response.outputs.reserve(slots.size());
  for (TensorSlot& slot : slots) response.outputs.push_back(std::move(slot.tensor));
  return response;
}

}  // namespace citadel::serve
