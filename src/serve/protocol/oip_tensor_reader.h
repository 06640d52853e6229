// Internal to the OIP codec: reading a tensor list (`inputs` of a request,
// `outputs` of a response) from JSON — each tensor's name, datatype, shape
// and parameters, and its `data` checked element by element against the
// datatype and the shape as it goes straight into the Tensor. The binary
// data of the tensors that carry binary_data_size is read afterwards, by
// oip_decode.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "serve/protocol/json_reader.h"
#include "serve/protocol/oip_codec.h"
#include "serve/protocol/oip_dtype.h"

namespace citadel::serve::internal {

// One tensor object while it is read: its fields arrive in any order.
// Shared: the tensor reader fills it, the decoder then reads its binary
// data (binary_size) and moves the tensor out.
struct TensorSlot {
  Tensor tensor;
  const DtypeInfo* dtype = nullptr;
  bool has_name = false, has_datatype = false, has_shape = false, has_parameters = false;
  bool has_data = false, data_done = false;
  size_t data_offset = 0;  // where `data` starts, read once name, datatype and shape are known
  int64_t element_count = 0;
  std::optional<uint64_t> binary_size;
};

// Reads `[ {tensor}, … ]` at the reader's cursor into `slots`; `list`
// ("inputs" or "outputs") names the places in messages. The decoder's way
// into the tensor reader.
Status ReadTensorList(JsonReader& reader, std::string_view list, std::vector<TensorSlot>* slots);

// A shape for messages: [1,64]. Shared by the tensor reader and the
// decoder's binary data checks.
std::string ShapeText(const std::vector<int64_t>& shape);

}  // namespace citadel::serve::internal
