// The tensor reader behind oip_tensor_reader.h: a tensor list's JSON read
// into TensorSlots, `data` flat or nested as the shape, each element
// checked against the datatype (an integer that fits, a number within
// FP16 / FP32 range, true or false, a string) and rounded as the tensor
// holds it.
#include "serve/protocol/oip_tensor_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>

namespace citadel::serve::internal {

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ',';
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

namespace {

class TensorReader {
 public:
  TensorReader(JsonReader& reader, std::string_view list) : r_(reader), list_(list) {}

  // Reads `[ {tensor}, … ]` into `slots`.
  Status ReadList(std::vector<TensorSlot>* slots) {
    if (r_.Peek() != '[') return r_.NotA(fmt::format("'{}' is not a list", list_));
    r_.Expect('[').IgnoreError();
    bool first = true;
    for (;;) {
      bool done;
      OIP_RETURN_IF_ERROR(r_.NextElement(&first, &done));
      if (done) return Status::Ok();
      slots->emplace_back();
      OIP_RETURN_IF_ERROR(ReadTensor(slots->size() - 1, &slots->back()));
    }
  }

 private:
  std::string Where(size_t index, const TensorSlot& slot) const {
    if (!slot.has_name) return fmt::format("{}[{}]", list_, index);
    return fmt::format("{}[{}] ('{}')", list_, index, slot.tensor.name);
  }

  Status ReadTensor(size_t index, TensorSlot* slot) {
    if (r_.Peek() != '{') return r_.NotA(fmt::format("{}[{}] is not an object", list_, index));
    r_.Expect('{').IgnoreError();
    bool first = true;
    std::string key;
    auto twice = [&](std::string_view field) {
      return InvalidArgumentError(fmt::format("{}[{}] has '{}' twice", list_, index, field));
    };
    for (;;) {
      bool done;
      OIP_RETURN_IF_ERROR(r_.NextMember(&first, &key, &done));
      if (done) break;
      if (key == "name") {
        if (slot->has_name) return twice(key);
        if (r_.Peek() != '"')
          return r_.NotA(fmt::format("{}[{}].name is not a string", list_, index));
        OIP_RETURN_IF_ERROR(r_.ReadString(&slot->tensor.name));
        if (slot->tensor.name.empty()) {
          return InvalidArgumentError(fmt::format("{}[{}].name is empty", list_, index));
        }
        slot->has_name = true;
      } else if (key == "datatype") {
        if (slot->has_datatype) return twice(key);
        if (r_.Peek() != '"') {
          return r_.NotA(fmt::format("{}[{}].datatype is not a string", list_, index));
        }
        OIP_RETURN_IF_ERROR(r_.ReadString(&slot->tensor.datatype));
        slot->dtype = FindDtype(slot->tensor.datatype);
        if (slot->dtype == nullptr) {
          return InvalidArgumentError(
              fmt::format("{}: datatype '{}' is not an OIP datatype (BOOL, UINT8..UINT64, "
                          "INT8..INT64, FP16, FP32, FP64, BYTES)",
                          Where(index, *slot), Quote(slot->tensor.datatype)));
        }
        slot->has_datatype = true;
      } else if (key == "shape") {
        if (slot->has_shape) return twice(key);
        OIP_RETURN_IF_ERROR(ReadShape(index, slot));
        slot->has_shape = true;
      } else if (key == "parameters") {
        if (slot->has_parameters) return twice(key);
        OIP_RETURN_IF_ERROR(ReadParameters(index, slot));
        slot->has_parameters = true;
      } else if (key == "data") {
        if (slot->has_data) return twice(key);
        slot->has_data = true;
        if (r_.Peek() != '[')
          return r_.NotA(fmt::format("{}.data is not a list", Where(index, *slot)));
        slot->data_offset = r_.offset();
        if (slot->has_datatype && slot->has_shape) {
          OIP_RETURN_IF_ERROR(ReadData(index, slot));
        } else {
          OIP_RETURN_IF_ERROR(r_.ReadValue(nullptr, 1));  // read once the shape is known
        }
      } else {
        OIP_RETURN_IF_ERROR(r_.ReadValue(nullptr, 1));  // unknown members are ignored
      }
    }

    if (!slot->has_name)
      return InvalidArgumentError(fmt::format("{}[{}] has no 'name'", list_, index));
    if (!slot->has_datatype) {
      return InvalidArgumentError(fmt::format("{} has no 'datatype'", Where(index, *slot)));
    }
    if (!slot->has_shape) {
      return InvalidArgumentError(fmt::format("{} has no 'shape'", Where(index, *slot)));
    }
    if (slot->has_data && slot->binary_size) {
      return InvalidArgumentError(
          fmt::format("{} has both 'data' and parameters.binary_data_size: send it one way",
                      Where(index, *slot)));
    }
    if (!slot->has_data && !slot->binary_size) {
      return InvalidArgumentError(fmt::format(
          "{} has neither 'data' nor parameters.binary_data_size", Where(index, *slot)));
    }
    if (slot->has_data && !slot->data_done) {
      const size_t resume = r_.offset();
      r_.Seek(slot->data_offset);
      OIP_RETURN_IF_ERROR(ReadData(index, slot));
      r_.Seek(resume);
    }
    return Status::Ok();
  }

  Status ReadShape(size_t index, TensorSlot* slot) {
    if (r_.Peek() != '[') return r_.NotA(fmt::format("{}[{}].shape is not a list", list_, index));
    r_.Expect('[').IgnoreError();
    bool first = true;
    int64_t count = 1;
    bool overflow = false;
    for (;;) {
      bool done;
      OIP_RETURN_IF_ERROR(r_.NextElement(&first, &done));
      if (done) break;
      const size_t d = slot->tensor.shape.size();
      const char c = r_.Peek();
      if (c != '-' && (c < '0' || c > '9')) {
        return r_.NotA(fmt::format("{}[{}].shape[{}] is not an integer", list_, index, d));
      }
      std::string_view token;
      OIP_RETURN_IF_ERROR(r_.ReadNumberToken(&token));
      if (token.find_first_of(".eE") != std::string_view::npos) {
        return InvalidArgumentError(
            fmt::format("{}[{}].shape[{}] is {}, not an integer", list_, index, d, Quote(token)));
      }
      if (token[0] == '-' && token != "-0") {
        return InvalidArgumentError(fmt::format("{}[{}].shape[{}] is negative", list_, index, d));
      }
      int64_t dim = 0;
      const char* first_digit = token.data() + (token[0] == '-' ? 1 : 0);
      const auto r = std::from_chars(first_digit, token.data() + token.size(), dim);
      if (r.ec != std::errc()) {
        return InvalidArgumentError(fmt::format("{}[{}].shape[{}] is {}, larger than int64", list_,
                                                index, d, Quote(token)));
      }
      if (slot->tensor.shape.size() >= kMaxDepth) {
        return InvalidArgumentError(
            fmt::format("{}[{}].shape has more than {} dimensions", list_, index, kMaxDepth));
      }
      slot->tensor.shape.push_back(dim);
      overflow = overflow || __builtin_mul_overflow(count, dim, &count);
    }
    // A zero dimension makes the product 0 even after an overflow.
    bool has_zero = false;
    for (int64_t dim : slot->tensor.shape) has_zero = has_zero || dim == 0;
    if (overflow && !has_zero) {
      return InvalidArgumentError(
          fmt::format("{}[{}].shape {} has more elements than fit in 64 bits", list_, index,
                      ShapeText(slot->tensor.shape)));
    }
    slot->element_count = has_zero ? 0 : count;
    return Status::Ok();
  }

  Status ReadParameters(size_t index, TensorSlot* slot) {
    if (r_.Peek() != '{') {
      return r_.NotA(fmt::format("{}[{}].parameters is not an object", list_, index));
    }
    OIP_RETURN_IF_ERROR(r_.ReadValue(&slot->tensor.parameters, 1));
    Json& params = slot->tensor.parameters;
    if (auto it = params.find("binary_data_size"); it != params.end()) {
      const bool valid =
          it->is_number_unsigned() || (it->is_number_integer() && it->get<int64_t>() >= 0);
      if (!valid) {
        return InvalidArgumentError(
            fmt::format("{}[{}].parameters.binary_data_size is not a byte count", list_, index));
      }
      slot->binary_size = it->get<uint64_t>();
      // A transport detail, consumed here: the tensor holds the data now.
      params.erase(it);
    }
    return Status::Ok();
  }

  // `data` at its offset, flat or nested as the shape; the elements go
  // straight into the tensor.
  Status ReadData(size_t index, TensorSlot* slot) {
    Tensor& t = slot->tensor;
    // Each element takes at least two bytes ("0,"): never reserve more than
    // the text can hold, whatever the shape claims.
    const size_t bound = r_.remaining() / 2 + 1;
    const size_t expected = static_cast<size_t>(slot->element_count);
    if (slot->dtype->type == Dtype::kBytes) {
      t.strings.reserve(std::min(expected, bound));
    } else {
      t.numbers.reserve(std::min(expected, bound));
    }
    path_.clear();
    leaf_depth_ = 0;
    OIP_RETURN_IF_ERROR(ReadDataArray(index, slot, 0));
    slot->data_done = true;
    const size_t got = slot->dtype->type == Dtype::kBytes ? t.strings.size() : t.numbers.size();
    if (got != expected) {
      return InvalidArgumentError(fmt::format("{}: data has {} elements, shape {} needs {}",
                                              Where(index, *slot), got, ShapeText(t.shape),
                                              expected));
    }
    return Status::Ok();
  }

  std::string PathText() const {
    std::string text = "data";
    for (size_t i : path_) text += fmt::format("[{}]", i);
    return text;
  }

  Status ReadDataArray(size_t index, TensorSlot* slot, int level) {
    if (level >= kMaxDepth) return r_.SyntaxError(fmt::format("nesting deeper than {}", kMaxDepth));
    r_.Expect('[').IgnoreError();  // the caller saw '['
    const std::vector<int64_t>& shape = slot->tensor.shape;
    enum { kUnknown, kLists, kValues } kind = kUnknown;
    size_t count = 0;
    bool first = true;
    path_.push_back(0);
    for (;;) {
      bool done;
      OIP_RETURN_IF_ERROR(r_.NextElement(&first, &done));
      if (done) break;
      path_.back() = count;
      const bool is_list = r_.Peek() == '[';
      if (kind == kUnknown) {
        kind = is_list ? kLists : kValues;
      } else if ((kind == kLists) != is_list) {
        return InvalidArgumentError(
            fmt::format("{}: data mixes lists and values at {}", Where(index, *slot), PathText()));
      }
      if (is_list) {
        OIP_RETURN_IF_ERROR(ReadDataArray(index, slot, level + 1));
      } else {
        if (leaf_depth_ == 0) OIP_RETURN_IF_ERROR(SetLeafDepth(index, *slot, level + 1));
        if (leaf_depth_ != level + 1) return Ragged(index, *slot);
        OIP_RETURN_IF_ERROR(ReadElement(index, slot));
      }
      ++count;
    }
    path_.pop_back();
    if (kind != kLists) {  // a list of values, or empty: a leaf
      if (leaf_depth_ == 0) OIP_RETURN_IF_ERROR(SetLeafDepth(index, *slot, level + 1));
      if (leaf_depth_ != level + 1) return Ragged(index, *slot);
    }
    // Nested data must follow the shape at every level; flat data is only
    // counted (by the caller).
    if (leaf_depth_ > 1 && static_cast<int64_t>(count) != shape[level]) {
      return InvalidArgumentError(fmt::format(
          "{}: {} has {} entries, shape {} needs {} at dimension {}", Where(index, *slot),
          PathText(), count, ShapeText(shape), shape[level], level));
    }
    return Status::Ok();
  }

  Status SetLeafDepth(size_t index, const TensorSlot& slot, int depth) {
    leaf_depth_ = depth;
    if (depth > 1 && depth != static_cast<int>(slot.tensor.shape.size())) {
      return InvalidArgumentError(fmt::format(
          "{}: data is nested {} deep, shape {} has {} dimensions (send it flat or nested as "
          "the shape)",
          Where(index, slot), depth, ShapeText(slot.tensor.shape), slot.tensor.shape.size()));
    }
    return Status::Ok();
  }

  Status Ragged(size_t index, const TensorSlot& slot) const {
    return InvalidArgumentError(
        fmt::format("{}: data is ragged: {} is nested to another depth than data's first value",
                    Where(index, slot), PathText()));
  }

  // One scalar of `data`, checked against the datatype.
  Status ReadElement(size_t index, TensorSlot* slot) {
    const DtypeInfo& dtype = *slot->dtype;
    Tensor& t = slot->tensor;
    const char c = r_.Peek();
    auto wrong = [&](std::string_view what, std::string_view wanted) {
      return InvalidArgumentError(fmt::format("{}: {} is {}, {} ({})", Where(index, *slot),
                                              PathText(), what, wanted, dtype.name));
    };
    const bool is_number = c == '-' || (c >= '0' && c <= '9');
    // A value of the wrong JSON type: named once it is known to be JSON at
    // all ("nan" is a syntax error, not a null).
    auto mismatch = [&](std::string_view wanted) -> Status {
      if (!r_.AtValueStart()) return r_.SyntaxError("expected a value");
      if (is_number) {
        std::string_view token;
        OIP_RETURN_IF_ERROR(r_.ReadNumberToken(&token));
        return wrong(dtype.type == Dtype::kBytes ? "a number" : Quote(token), wanted);
      }
      OIP_RETURN_IF_ERROR(r_.ReadValue(nullptr, 1));
      std::string_view what = "an object";
      if (c == '"') what = "a string";
      if (c == 't') what = "true";
      if (c == 'f') what = "false";
      if (c == 'n') what = "null";
      return wrong(what, wanted);
    };
    if (dtype.type == Dtype::kBytes) {
      if (c != '"') return mismatch("BYTES elements are strings");
      t.strings.emplace_back();
      return r_.ReadString(&t.strings.back());
    }
    if (dtype.type == Dtype::kBool) {
      if (c != 't' && c != 'f') return mismatch("not true or false");
      std::string_view literal;
      OIP_RETURN_IF_ERROR(r_.ReadLiteral(&literal));
      t.numbers.push_back(literal == "true" ? 1.0 : 0.0);
      return Status::Ok();
    }
    if (!is_number) return mismatch("not a number");
    std::string_view token;
    OIP_RETURN_IF_ERROR(r_.ReadNumberToken(&token));
    if (IsInteger(dtype.type)) {
      switch (CheckExactInteger(token)) {
        case IntegerCheck::kFraction:
          return wrong(Quote(token), "not an integer");
        case IntegerCheck::kTooLarge:
          return wrong(Quote(token), "beyond 2^53, the largest integer this server holds exactly");
        case IntegerCheck::kOk:
          break;
      }
      double value;
      OIP_RETURN_IF_ERROR(r_.TokenToDouble(token, &value));
      if (value < dtype.min || value > dtype.max) {
        return wrong(Quote(token), fmt::format("outside [{}, {}]", dtype.min, dtype.max));
      }
      t.numbers.push_back(value == 0 ? 0.0 : value);  // no -0 in an integer tensor
      return Status::Ok();
    }
    double value;
    OIP_RETURN_IF_ERROR(r_.TokenToDouble(token, &value));
    // A value is out of range when it rounds to infinity in the datatype:
    // the shortest spelling of FLT_MAX, 3.4028235e38, is a little above it.
    switch (dtype.type) {
      case Dtype::kFp16: {
        const uint16_t half = DoubleToHalfBits(value);
        if ((half & 0x7fff) == 0x7c00) return wrong(Quote(token), "outside FP16's range (±65504)");
        value = HalfBitsToDouble(half);
        break;
      }
      case Dtype::kFp32: {
        const float f = DoubleToFloat(value);
        if (std::isinf(f)) return wrong(Quote(token), "outside FP32's range (±3.4028235e38)");
        value = static_cast<double>(f);
        break;
      }
      default:
        break;
    }
    t.numbers.push_back(value);
    return Status::Ok();
  }

  JsonReader& r_;
  std::string_view list_;
  std::vector<size_t> path_;  // indices of the element being read, for messages
  int leaf_depth_ = 0;        // nesting depth of data's values, once the first is seen
};

}  // namespace

Status ReadTensorList(JsonReader& reader, std::string_view list, std::vector<TensorSlot>* slots) {
  return TensorReader(reader, list).ReadList(slots);
}

}  // namespace citadel::serve::internal
