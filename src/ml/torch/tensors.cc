#include "ml/torch/tensors.h"

#include <fmt/format.h>

namespace citadel::ml::internal {

Result<torch::Tensor> ToTorch(const formats::TensorView& view, std::string_view source) {
  torch::ScalarType type;
  switch (view.dtype) {
    case formats::DType::kF32:
      type = torch::kFloat32;
      break;
    case formats::DType::kF64:
      type = torch::kFloat64;
      break;
    case formats::DType::kI64:
      type = torch::kInt64;
      break;
    case formats::DType::kI32:
      type = torch::kInt32;
      break;
    case formats::DType::kU8:
      type = torch::kUInt8;
      break;
    default:
      return InvalidArgumentError(
          fmt::format("{}: tensor '{}' has dtype {}, which Citadel cannot load yet", source,
                      view.name, formats::DTypeName(view.dtype)));
  }
  torch::Tensor t = torch::empty(view.shape, torch::TensorOptions().dtype(type));
  std::memcpy(t.data_ptr(), view.data.data(), view.data.size());
  return t;
}

std::string Float32Bytes(const torch::Tensor& tensor) {
  torch::Tensor t = tensor.detach().to(torch::kFloat32).contiguous();
  return std::string(static_cast<const char*>(t.data_ptr()), t.numel() * sizeof(float));
}

namespace {
Result<std::vector<std::string>> StringList(const Json& json, const char* key,
                                            std::string_view source) {
  if (!json.contains(key) || !json[key].is_array()) {
    return InvalidArgumentError(fmt::format("{}: schema.json lacks the list '{}'", source, key));
  }
  std::vector<std::string> out;
  for (const Json& v : json[key]) {
    if (!v.is_string())
      return InvalidArgumentError(
          fmt::format("{}: schema.json '{}' holds a non-string", source, key));
    out.push_back(v.get<std::string>());
  }
  return out;
}
}  // namespace

namespace {
Result<DatasetTensors> LoadDatasetUnchecked(const DatasetView& view) {
  DatasetTensors d;
  const Json& schema = view.schema;
  if (!schema.is_object() || schema.value("format", "") != "citadel.dataset/v2") {
    return InvalidArgumentError(fmt::format(
        "{}: not a citadel dataset (schema.json format is not citadel.dataset/v2)", view.name));
  }
  ASSIGN_OR_RETURN(d.feature_names, StringList(schema, "features", view.name));
  if (!schema.contains("label") || !schema["label"].is_object()) {
    return InvalidArgumentError(fmt::format("{}: schema.json has no label section", view.name));
  }
  ASSIGN_OR_RETURN(d.classes, StringList(schema["label"], "classes", view.name));
  d.label_name = schema["label"].value("name", "");
  if (schema.contains("preprocessing")) d.preprocessing = schema["preprocessing"];
  if (schema.contains("input")) d.input = schema["input"];

  ASSIGN_OR_RETURN(auto file, formats::SafetensorsFile::Parse(view.safetensors,
                                                              view.name + " data.safetensors"));
  ASSIGN_OR_RETURN(const formats::TensorView* features, file.Get("features"));
  ASSIGN_OR_RETURN(const formats::TensorView* labels, file.Get("labels"));
  ASSIGN_OR_RETURN(const formats::TensorView* row_ids, file.Get("row_ids"));
  const int64_t nfeat = static_cast<int64_t>(d.feature_names.size());
  if (features->dtype != formats::DType::kF32 || features->shape.size() != 2 ||
      features->shape[1] != nfeat) {
    return InvalidArgumentError(fmt::format(
        "{}: 'features' must be F32 [rows, {}] to match schema.json", view.name, nfeat));
  }
  const int64_t rows = features->shape[0];
  for (const formats::TensorView* t : {labels, row_ids}) {
    if (t->dtype != formats::DType::kI64 || t->shape != std::vector<int64_t>{rows}) {
      return InvalidArgumentError(
          fmt::format("{}: '{}' must be I64 [{}]", view.name, t->name, rows));
    }
  }
  Status s = CatchTorch("loading dataset " + view.name, [&]() -> Status {
    ASSIGN_OR_RETURN(d.features, ToTorch(*features, view.name));
    ASSIGN_OR_RETURN(d.labels, ToTorch(*labels, view.name));
    ASSIGN_OR_RETURN(d.row_ids, ToTorch(*row_ids, view.name));
    if (rows > 0) {
      int64_t lo = d.labels.min().item<int64_t>();
      int64_t hi = d.labels.max().item<int64_t>();
      if (lo < 0 || hi >= static_cast<int64_t>(d.classes.size())) {
        return InvalidArgumentError(
            fmt::format("{}: label index {} outside the {} classes of schema.json", view.name,
                        lo < 0 ? lo : hi, d.classes.size()));
      }
    }
    return Status::Ok();
  });
  RETURN_IF_ERROR(s);
  return d;
}
}  // namespace

Result<DatasetTensors> LoadDataset(const DatasetView& view) {
  // schema.json comes from an artifact: a wrongly typed field must be an
  // error, not an escaped nlohmann exception.
  DatasetTensors d;
  Status s = CatchTorch("loading dataset " + view.name, [&]() -> Status {
    ASSIGN_OR_RETURN(d, LoadDatasetUnchecked(view));
    return Status::Ok();
  });
  RETURN_IF_ERROR(s);
  return d;
}

}  // namespace citadel::ml::internal
