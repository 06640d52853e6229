#include "ml/inference_session.h"

#include <fmt/format.h>

#include <set>

#include "formats/safetensors.h"
#include "ml/internal/network.h"
#include "ml/internal/tensors.h"

namespace citadel::ml {

struct InferenceSession::Impl {
  std::string source;
  Json model_json;
  std::vector<std::string> features;
  std::vector<std::string> classes;
  torch::nn::Sequential net{nullptr};
};

InferenceSession::InferenceSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
InferenceSession::~InferenceSession() = default;

const std::vector<std::string>& InferenceSession::feature_names() const { return impl_->features; }
const std::vector<std::string>& InferenceSession::classes() const { return impl_->classes; }
const Json& InferenceSession::model_json() const { return impl_->model_json; }

namespace {

Result<std::vector<std::string>> Strings(const Json& j, std::string_view what,
                                         std::string_view source) {
  if (!j.is_array())
    return InvalidArgumentError(fmt::format("{}: model.json {} is not a list", source, what));
  std::vector<std::string> out;
  for (const Json& v : j) {
    if (!v.is_string())
      return InvalidArgumentError(
          fmt::format("{}: model.json {} holds a non-string", source, what));
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<InferenceSession>> InferenceSession::Load(const ModelFiles& files,
                                                                 std::string_view source) {
  // model.json comes from outside the process: any type surprise in it must
  // become an error, never an escaped exception.
  std::unique_ptr<InferenceSession> session;
  Status status = internal::CatchTorch(fmt::format("loading model {}", source), [&]() -> Status {
    ASSIGN_OR_RETURN(session, LoadUnchecked(files, source));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return session;
}

Result<std::unique_ptr<InferenceSession>> InferenceSession::LoadUnchecked(const ModelFiles& files,
                                                                          std::string_view source) {
  auto impl = std::make_unique<Impl>();
  impl->source = std::string(source);
  impl->model_json = files.model_json;
  const Json& mj = files.model_json;
  if (!mj.is_object() || mj.value("format", "") != kModelFormat) {
    return InvalidArgumentError(
        fmt::format("{}: model.json is not a {} document", source, kModelFormat));
  }
  if (!mj.contains("input") || !mj.contains("output")) {
    return InvalidArgumentError(fmt::format("{}: model.json lacks input or output", source));
  }
  ASSIGN_OR_RETURN(impl->features,
                   Strings(mj["input"].value("features", Json()), "input.features", source));
  ASSIGN_OR_RETURN(impl->classes,
                   Strings(mj["output"].value("classes", Json()), "output.classes", source));
  ASSIGN_OR_RETURN(ModelSpec spec, internal::ModelSpecFromJson(mj, source));
  ASSIGN_OR_RETURN(auto weights,
                   formats::SafetensorsFile::Parse(files.safetensors,
                                                   std::string(source) + " model.safetensors"));

  Status s = internal::CatchTorch(fmt::format("loading model {}", source), [&]() -> Status {
    ASSIGN_OR_RETURN(impl->net,
                     internal::BuildNetwork(spec, static_cast<int64_t>(impl->features.size()),
                                            static_cast<int64_t>(impl->classes.size())));
    torch::NoGradGuard no_grad;
    std::set<std::string> expected;
    for (auto& item : impl->net->named_parameters()) {
      expected.insert(item.key());
      ASSIGN_OR_RETURN(const formats::TensorView* view, weights.Get(item.key()));
      if (view->dtype != formats::DType::kF32 || view->shape != item.value().sizes().vec()) {
        return InvalidArgumentError(
            fmt::format("{}: tensor '{}' has shape or dtype that does not match the architecture",
                        source, item.key()));
      }
      ASSIGN_OR_RETURN(torch::Tensor t, internal::ToTorch(*view, source));
      item.value().copy_(t);
    }
    for (const auto& t : weights.tensors()) {
      if (!expected.count(t.name)) {
        return InvalidArgumentError(
            fmt::format("{}: unexpected tensor '{}' in model.safetensors", source, t.name));
      }
    }
    impl->net->eval();

    // The fitted preprocessing belongs to src/data (FeaturePipeline); a model
    // only checks that it is a list, and that a dataset matches it exactly.
    if (!mj.value("preprocessing", Json::array()).is_array()) {
      return InvalidArgumentError(
          fmt::format("{}: model.json preprocessing is not a list", source));
    }
    return Status::Ok();
  });
  RETURN_IF_ERROR(s);
  return std::unique_ptr<InferenceSession>(new InferenceSession(std::move(impl)));
}

Result<std::vector<float>> InferenceSession::PredictProbabilities(std::span<const float> features,
                                                                  int64_t rows) const {
  const int64_t d = static_cast<int64_t>(impl_->features.size());
  if (rows < 0 || features.size() != static_cast<size_t>(rows * d)) {
    return InvalidArgumentError(
        fmt::format("model {} expects {} features per row; got {} values for {} rows",
                    impl_->source, d, features.size(), rows));
  }
  std::vector<float> out;
  Status s = internal::CatchTorch(fmt::format("running model {}", impl_->source), [&]() -> Status {
    torch::NoGradGuard no_grad;
    torch::Tensor x =
        torch::from_blob(const_cast<float*>(features.data()), {rows, d}, torch::kFloat32);
    torch::Tensor p = torch::softmax(impl_->net->forward(x), 1).contiguous();
    out.assign(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
    return Status::Ok();
  });
  RETURN_IF_ERROR(s);
  return out;
}

Status InferenceSession::CheckDatasetCompatible(const Json& schema,
                                                std::string_view dataset_name) const {
  return internal::CatchTorch(fmt::format("checking dataset {}", dataset_name), [&]() -> Status {
    if (!schema.is_object()) {
      return InvalidArgumentError(
          fmt::format("dataset {}: schema.json is not an object", dataset_name));
    }
    const Json& mj = impl_->model_json;
    if (schema.value("features", Json()) != mj["input"]["features"]) {
      return FailedPreconditionError(
          fmt::format("dataset {} has different features from those model {} was trained on",
                      dataset_name, impl_->source));
    }
    if (schema.value("label", Json::object()).value("classes", Json()) != mj["output"]["classes"]) {
      return FailedPreconditionError(fmt::format("dataset {} has different classes from model {}",
                                                 dataset_name, impl_->source));
    }
    if (schema.value("preprocessing", Json::array()) != mj.value("preprocessing", Json::array())) {
      return FailedPreconditionError(
          fmt::format("dataset {} was preprocessed with different fitted parameters than model "
                      "{}'s training data; "
                      "prepare it in the same process step",
                      dataset_name, impl_->source));
    }
    return Status::Ok();
  });
}

}  // namespace citadel::ml
