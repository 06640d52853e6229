// TrainingLoop::Snapshot and ::Restore: the training state as a safetensors
// checkpoint (docs/formats/checkpoint.md).
//
// Tensors: model/<name> (parameters), buffer/<name>, optimizer/<i>/<field>
// (per parameter, in parameters() order), best/<i> (early stopping's best
// weights), order (the data permutation of the current epoch) and torch_rng
// (torch's CPU generator, which dropout draws from). Everything else — epoch,
// step, position inside the epoch, the epoch's partial sums, the data-order
// generator, the early-stopping record, the metric history — is the JSON
// metadata entry "state". Doubles that feed later arithmetic are written as
// hexadecimal floats so that a resumed run continues from the same bits.
#include <fmt/format.h>

#include <cstdlib>
#include <cstring>

#include "base/time.h"
#include "formats/safetensors.h"
#include "ml/torch/training/training_loop.h"

namespace citadel::ml::internal {
namespace {

constexpr std::string_view kCheckpointFormat = "citadel.checkpoint.v1";

std::string ExactDouble(double v) { return fmt::format("{:a}", v); }

Result<double> ParseExactDouble(const Json& j, std::string_view field) {
  if (!j.is_string()) return DataLossError(fmt::format("state.{} is not a hex float", field));
  const std::string text = j.get<std::string>();
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0') {
    return DataLossError(fmt::format("state.{} '{}' is not a hex float", field, text));
  }
  return v;
}

Json OptionalNumber(const std::optional<double>& v) { return v ? Json(ExactDouble(*v)) : Json(); }

Json EpochJson(const EpochMetrics& m) {
  return {{"epoch", m.epoch},
          {"loss", ExactDouble(m.loss)},
          {"accuracy", ExactDouble(m.accuracy)},
          {"samples_per_second", ExactDouble(m.samples_per_second)},
          {"lr", ExactDouble(m.lr)},
          {"val_loss", OptionalNumber(m.val_loss)},
          {"val_accuracy", OptionalNumber(m.val_accuracy)}};
}

Result<EpochMetrics> EpochFromJson(const Json& j) {
  EpochMetrics m;
  m.epoch = j.at("epoch").get<int64_t>();
  ASSIGN_OR_RETURN(m.loss, ParseExactDouble(j.at("loss"), "history.loss"));
  ASSIGN_OR_RETURN(m.accuracy, ParseExactDouble(j.at("accuracy"), "history.accuracy"));
  ASSIGN_OR_RETURN(m.samples_per_second,
                   ParseExactDouble(j.at("samples_per_second"), "history.samples_per_second"));
  ASSIGN_OR_RETURN(m.lr, ParseExactDouble(j.at("lr"), "history.lr"));
  if (!j.at("val_loss").is_null()) {
    ASSIGN_OR_RETURN(m.val_loss, ParseExactDouble(j.at("val_loss"), "history.val_loss"));
    ASSIGN_OR_RETURN(m.val_accuracy,
                     ParseExactDouble(j.at("val_accuracy"), "history.val_accuracy"));
  }
  return m;
}

Result<formats::DType> SafetensorsType(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kFloat32:
      return formats::DType::kF32;
    case torch::kFloat64:
      return formats::DType::kF64;
    case torch::kInt64:
      return formats::DType::kI64;
    case torch::kUInt8:
      return formats::DType::kU8;
    default:
      return InternalError(
          fmt::format("checkpoint: no safetensors dtype for {}", c10::toString(t.scalar_type())));
  }
}

// The optimizer's per-parameter state, found the way torch's own
// serialization finds it: keyed by the parameter's TensorImpl address.
std::string StateKey(const torch::Tensor& param) {
  return c10::guts::to_string(param.unsafeGetTensorImpl());
}

class TorchCheckpointSnapshot final : public CheckpointSnapshot {
 public:
  int64_t step() const override { return step_; }
  int64_t epoch() const override { return epoch_; }
  double snapshot_seconds() const override { return snapshot_seconds_; }

  Status WriteTo(const Sink& sink) const override {
    formats::SafetensorsWriter writer;
    for (const auto& [name, tensor] : tensors_) {
      ASSIGN_OR_RETURN(formats::DType dtype, SafetensorsType(tensor));
      // The snapshot's tensors are private contiguous copies that live as
      // long as it does: the file is written straight from them.
      RETURN_IF_ERROR(writer.AddView(
          name, dtype, tensor.sizes().vec(),
          std::string_view(static_cast<const char*>(tensor.data_ptr()),
                           static_cast<size_t>(tensor.numel()) * tensor.element_size())));
    }
    writer.SetMetadata("format", std::string(kCheckpointFormat));
    writer.SetMetadata("state", state_.dump());
    return writer.SerializeTo(sink);
  }

  void Add(std::string name, const torch::Tensor& t) {
    tensors_.emplace_back(std::move(name), t.detach().contiguous().clone());
  }

  int64_t step_ = 0;
  int64_t epoch_ = 0;
  double snapshot_seconds_ = 0;
  Json state_;

 private:
  std::vector<std::pair<std::string, torch::Tensor>> tensors_;
};

// Copies a checkpoint tensor into `dest` after checking its dtype and shape.
Status CopyInto(const formats::SafetensorsFile& file, const std::string& name, torch::Tensor dest) {
  ASSIGN_OR_RETURN(const formats::TensorView* view, file.Get(name));
  ASSIGN_OR_RETURN(formats::DType dtype, SafetensorsType(dest));
  if (view->dtype != dtype || view->shape != dest.sizes().vec()) {
    return DataLossError(fmt::format("tensor {} is {}{} in the checkpoint but {}{} here", name,
                                     formats::DTypeName(view->dtype), fmt::join(view->shape, "×"),
                                     formats::DTypeName(dtype), fmt::join(dest.sizes(), "×")));
  }
  torch::NoGradGuard no_grad;
  torch::Tensor source =
      torch::from_blob(const_cast<char*>(view->data.data()), dest.sizes(), dest.options());
  dest.copy_(source);
  return Status::Ok();
}

// A new tensor holding a checkpoint tensor that must be shaped like `like`.
Result<torch::Tensor> Load(const formats::SafetensorsFile& file, const std::string& name,
                           const torch::Tensor& like) {
  torch::Tensor t = torch::empty_like(like, torch::MemoryFormat::Contiguous);
  RETURN_IF_ERROR(CopyInto(file, name, t));
  return t;
}

// Adam's and AdamW's per-parameter states have the same fields under two
// types: saved and loaded by one template each.
template <typename State>
int64_t AddAdamState(TorchCheckpointSnapshot& snap, const std::string& prefix, const State& st) {
  snap.Add(prefix + "exp_avg", st.exp_avg());
  snap.Add(prefix + "exp_avg_sq", st.exp_avg_sq());
  if (st.max_exp_avg_sq().defined()) snap.Add(prefix + "max_exp_avg_sq", st.max_exp_avg_sq());
  return st.step();
}

template <typename State>
Result<std::unique_ptr<torch::optim::OptimizerParamState>> LoadAdamState(
    const formats::SafetensorsFile& file, const std::string& prefix, const torch::Tensor& param,
    int64_t step) {
  auto st = std::make_unique<State>();
  st->step(step);
  ASSIGN_OR_RETURN(torch::Tensor exp_avg, Load(file, prefix + "exp_avg", param));
  ASSIGN_OR_RETURN(torch::Tensor exp_avg_sq, Load(file, prefix + "exp_avg_sq", param));
  st->exp_avg(exp_avg);
  st->exp_avg_sq(exp_avg_sq);
  if (file.Get(prefix + "max_exp_avg_sq").ok()) {
    ASSIGN_OR_RETURN(torch::Tensor max_sq, Load(file, prefix + "max_exp_avg_sq", param));
    st->max_exp_avg_sq(max_sq);
  }
  return std::unique_ptr<torch::optim::OptimizerParamState>(std::move(st));
}

}  // namespace

std::unique_ptr<CheckpointSnapshot> TrainingLoop::Snapshot(const std::string& fingerprint) const {
  const TrainingState& s = state_;
  Stopwatch clock;
  auto snap = std::make_unique<TorchCheckpointSnapshot>();
  torch::NoGradGuard no_grad;
  for (const NamedTensor& item : s.net->NamedParameters())
    snap->Add("model/" + item.name, item.tensor);
  for (const NamedTensor& item : s.net->NamedBuffers())
    snap->Add("buffer/" + item.name, item.tensor);

  const std::vector<torch::Tensor> params = s.net->Parameters();
  Json optimizer_steps = Json::array();
  const auto& states = s.optimizer->state();
  for (size_t i = 0; i < params.size(); ++i) {
    auto found = states.find(StateKey(params[i]));
    if (found == states.end()) {
      optimizer_steps.push_back(nullptr);  // no step has touched it yet
      continue;
    }
    const std::string prefix = fmt::format("optimizer/{}/", i);
    const torch::optim::OptimizerParamState* st = found->second.get();
    if (const auto* adam = dynamic_cast<const torch::optim::AdamParamState*>(st)) {
      optimizer_steps.push_back(AddAdamState(*snap, prefix, *adam));
    } else if (const auto* adamw = dynamic_cast<const torch::optim::AdamWParamState*>(st)) {
      optimizer_steps.push_back(AddAdamState(*snap, prefix, *adamw));
    } else if (const auto* sgd = dynamic_cast<const torch::optim::SGDParamState*>(st)) {
      if (sgd->momentum_buffer().defined())
        snap->Add(prefix + "momentum_buffer", sgd->momentum_buffer());
      optimizer_steps.push_back(0);
    }
  }
  for (size_t i = 0; i < s.best_weights.size(); ++i) {
    snap->Add(fmt::format("best/{}", i), s.best_weights[i]);
  }
  snap->Add("order", torch::from_blob(const_cast<int64_t*>(s.order.data()),
                                      {static_cast<int64_t>(s.order.size())}, torch::kInt64));
  {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    snap->Add("torch_rng", gen.get_state());
  }

  Json history = Json::array();
  for (const EpochMetrics& m : s.history) history.push_back(EpochJson(m));
  snap->step_ = s.step;
  snap->epoch_ = s.epoch;
  snap->state_ = {{"fingerprint", fingerprint},
                  {"optimizer", spec_.optimizer.name},
                  {"optimizer_steps", optimizer_steps},
                  {"epoch", s.epoch},
                  {"step", s.step},
                  {"next_sample", s.next_sample},
                  {"epoch_loss_sum", ExactDouble(s.epoch_loss_sum)},
                  {"epoch_correct", s.epoch_correct},
                  {"epoch_seconds", ExactDouble(s.epoch_seconds)},
                  {"order_rng", s.order_rng.State()},
                  {"best_epoch", s.best_epoch},
                  {"best_value", ExactDouble(s.best_value)},
                  {"best_weights", s.best_weights.size()},
                  {"epochs_since_best", s.epochs_since_best},
                  {"stopped_early", s.stopped_early},
                  {"history", history}};
  snap->snapshot_seconds_ = clock.ElapsedSeconds();
  return snap;
}

Status TrainingLoop::Restore(std::string_view bytes, const std::string& fingerprint) {
  // Borrowed: the caller's bytes are parsed in place, not copied.
  auto parsed = formats::SafetensorsFile::ParseBorrowed(bytes, "checkpoint");
  if (!parsed.ok()) return DataLossError(std::string(parsed.status().message()));
  const formats::SafetensorsFile& file = *parsed;
  auto format = file.metadata().find("format");
  if (format == file.metadata().end() || format->second != kCheckpointFormat) {
    return DataLossError(fmt::format("not a {} file (metadata.format)", kCheckpointFormat));
  }
  auto state_text = file.metadata().find("state");
  if (state_text == file.metadata().end()) return DataLossError("metadata has no 'state'");
  Result<Json> state_json = ParseJson(state_text->second, "checkpoint state");
  if (!state_json.ok()) return DataLossError(std::string(state_json.status().message()));
  const Json& j = *state_json;

  // A checkpoint that fails part-way leaves the loop half restored; Train
  // then returns the error and discards the loop.
  try {
    if (j.at("fingerprint").get<std::string>() != fingerprint) {
      return DataLossError(
          "it was taken for a different train spec or dataset shape (fingerprint differs)");
    }
    if (j.at("optimizer").get<std::string>() != spec_.optimizer.name) {
      return DataLossError("it holds the state of another optimizer");
    }
    TrainingState& s = state_;
    const std::vector<torch::Tensor> params = s.net->Parameters();
    for (const NamedTensor& item : s.net->NamedParameters()) {
      RETURN_IF_ERROR(CopyInto(file, "model/" + item.name, item.tensor));
    }
    for (const NamedTensor& item : s.net->NamedBuffers()) {
      RETURN_IF_ERROR(CopyInto(file, "buffer/" + item.name, item.tensor));
    }

    const Json& steps = j.at("optimizer_steps");
    if (!steps.is_array() || steps.size() != params.size()) {
      return DataLossError("optimizer_steps does not have one entry per parameter");
    }
    auto& states = s.optimizer->state();
    states.clear();
    for (size_t i = 0; i < params.size(); ++i) {
      if (steps[i].is_null()) continue;
      const std::string prefix = fmt::format("optimizer/{}/", i);
      const std::string& name = spec_.optimizer.name;
      const int64_t step = steps[i].get<int64_t>();
      if (name == "adam") {
        ASSIGN_OR_RETURN(states[StateKey(params[i])], LoadAdamState<torch::optim::AdamParamState>(
                                                          file, prefix, params[i], step));
      } else if (name == "adamw") {
        ASSIGN_OR_RETURN(states[StateKey(params[i])], LoadAdamState<torch::optim::AdamWParamState>(
                                                          file, prefix, params[i], step));
      } else {
        auto st = std::make_unique<torch::optim::SGDParamState>();
        if (file.Get(prefix + "momentum_buffer").ok()) {
          ASSIGN_OR_RETURN(torch::Tensor buffer, Load(file, prefix + "momentum_buffer", params[i]));
          st->momentum_buffer(buffer);
        }
        states[StateKey(params[i])] = std::move(st);
      }
    }

    const size_t best = j.at("best_weights").get<size_t>();
    if (best != 0 && best != params.size())
      return DataLossError("best_weights has the wrong count");
    s.best_weights.clear();
    for (size_t i = 0; i < best; ++i) {
      ASSIGN_OR_RETURN(torch::Tensor w, Load(file, fmt::format("best/{}", i), params[i]));
      s.best_weights.push_back(w);
    }
    torch::Tensor order = torch::empty({static_cast<int64_t>(s.order.size())}, torch::kInt64);
    RETURN_IF_ERROR(CopyInto(file, "order", order));
    std::memcpy(s.order.data(), order.data_ptr(), s.order.size() * sizeof(int64_t));
    {
      ASSIGN_OR_RETURN(const formats::TensorView* rng, file.Get("torch_rng"));
      at::Generator gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      torch::Tensor rng_state =
          torch::empty({static_cast<int64_t>(rng->data.size())}, torch::kUInt8);
      std::memcpy(rng_state.data_ptr(), rng->data.data(), rng->data.size());
      gen.set_state(rng_state);
    }
    if (!s.order_rng.Restore(j.at("order_rng").get<std::string>())) {
      return DataLossError("order_rng is not a generator state");
    }
    s.epoch = j.at("epoch").get<int64_t>();
    s.step = j.at("step").get<int64_t>();
    s.next_sample = j.at("next_sample").get<int64_t>();
    if (s.epoch < 0 || s.epoch > spec_.epochs || s.next_sample < 0 ||
        s.next_sample >= static_cast<int64_t>(s.order.size())) {
      return DataLossError("epoch or position is out of range for this spec");
    }
    ASSIGN_OR_RETURN(s.epoch_loss_sum, ParseExactDouble(j.at("epoch_loss_sum"), "epoch_loss_sum"));
    s.epoch_correct = j.at("epoch_correct").get<int64_t>();
    ASSIGN_OR_RETURN(s.epoch_seconds, ParseExactDouble(j.at("epoch_seconds"), "epoch_seconds"));
    s.best_epoch = j.at("best_epoch").get<int64_t>();
    ASSIGN_OR_RETURN(s.best_value, ParseExactDouble(j.at("best_value"), "best_value"));
    s.epochs_since_best = j.at("epochs_since_best").get<int64_t>();
    s.stopped_early = j.at("stopped_early").get<bool>();
    s.history.clear();
    for (const Json& h : j.at("history")) {
      ASSIGN_OR_RETURN(EpochMetrics m, EpochFromJson(h));
      s.history.push_back(m);
    }
  } catch (const Json::exception& e) {
    return DataLossError(fmt::format("malformed state: {}", e.what()));
  }
  return Status::Ok();
}

}  // namespace citadel::ml::internal
