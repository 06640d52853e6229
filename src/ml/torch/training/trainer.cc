// TrainModel (trainer.h): checks the datasets, derives the class weights,
// drives a TrainingLoop and writes the model files, with model.json saying
// how the model was trained.
#include <fmt/format.h>

#include <optional>

#include "base/time.h"
#include "crypto/sha256.h"
#include "formats/safetensors.h"
#include "ml/torch/tensors.h"
#include "ml/torch/torch_runtime.h"
#include "ml/torch/training/blas_threads.h"
#include "ml/torch/training/gloo_group.h"
#include "ml/torch/training/training_loop.h"
#include "ml/training/token_ids.h"

namespace citadel::ml::internal {
namespace {

Result<std::string> SerializeWeights(Network& net) {
  formats::SafetensorsWriter writer;
  for (const NamedTensor& item : net.NamedParameters()) {
    const torch::Tensor& p = item.tensor;
    RETURN_IF_ERROR(
        writer.Add(item.name, formats::DType::kF32, p.sizes().vec(), internal::Float32Bytes(p)));
  }
  // Batch norm's running statistics (F32) and its step counter (I64): what
  // eval mode computes with.
  for (const NamedTensor& item : net.NamedBuffers()) {
    const torch::Tensor b = item.tensor.detach().contiguous();
    const bool is_float = b.scalar_type() == torch::kFloat32;
    RETURN_IF_ERROR(writer.Add(
        item.name, is_float ? formats::DType::kF32 : formats::DType::kI64, b.sizes().vec(),
        std::string(static_cast<const char*>(b.data_ptr()), b.numel() * b.element_size())));
  }
  writer.SetMetadata("format", std::string(kModelFormat));
  return writer.Serialize();
}

// Early stopping compares epochs on the validation set: it must be the same
// kind of data as the training set, prepared with the same fitted parameters.
Status CheckSamePreparation(const DatasetTensors& train, std::string_view train_name,
                            const DatasetTensors& val, std::string_view val_name) {
  auto mismatch = [&](std::string_view what) {
    return FailedPreconditionError(fmt::format(
        "validation dataset {} has different {} from training dataset {}; prepare both in the "
        "same process step (e.g. split: {{ train: 0.7, validation: 0.15, test: 0.15 }})",
        val_name, what, train_name));
  };
  if (val.feature_names != train.feature_names) return mismatch("features");
  if (val.label_name != train.label_name || val.classes != train.classes) {
    return mismatch("label classes");
  }
  if (val.preprocessing != train.preprocessing) return mismatch("fitted preprocessing");
  return Status::Ok();
}

// One weight per class in schema order, or nothing when unweighted.
// balanced: n_samples / (n_classes * count_c), as scikit-learn computes it.
Result<std::vector<double>> ClassWeights(const ClassWeightsSpec& spec, const DatasetTensors& data,
                                         std::string_view train_name) {
  const size_t classes = data.classes.size();
  if (!spec.balanced) {
    if (!spec.values.empty() && spec.values.size() != classes) {
      return InvalidArgumentError(fmt::format(
          "class_weights has {} weights but training dataset {} has {} classes ({}); give one "
          "weight per class in that order, or class_weights: balanced",
          spec.values.size(), train_name, classes, fmt::join(data.classes, ", ")));
    }
    return spec.values;
  }
  std::vector<int64_t> counts(classes, 0);
  const torch::Tensor labels = data.labels.contiguous();
  const int64_t* y = labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < labels.numel(); ++i) ++counts[static_cast<size_t>(y[i])];
  std::vector<double> weights;
  for (size_t c = 0; c < classes; ++c) {
    if (counts[c] == 0) {
      return InvalidArgumentError(fmt::format(
          "class_weights: balanced cannot weight class '{}', which has no rows in training "
          "dataset {}; give explicit weights or stratify the split",
          data.classes[c], train_name));
    }
    weights.push_back(static_cast<double>(labels.numel()) /
                      (static_cast<double>(classes) * static_cast<double>(counts[c])));
  }
  return weights;
}

Json ClassWeightsJson(const ClassWeightsSpec& spec, const std::vector<double>& weights) {
  if (weights.empty()) return Json();
  return {{"mode", spec.balanced ? "balanced" : "explicit"}, {"weights", weights}};
}

// Identifies what a checkpoint belongs to: the settings that shape the
// state and the data's dimensions. (Which data exactly is the caller's
// business: workload resumes only runs with the same cache key.)
std::string Fingerprint(const TrainSpec& spec, int64_t rows, int64_t features, int64_t classes,
                        int64_t val_rows) {
  Json j = {{"model", ModelSpecToJson(spec.model)},
            {"optimizer", OptimizerSpecToJson(spec.optimizer)},
            {"lr_schedule", LrScheduleSpecToJson(spec.lr_schedule)},
            {"grad_clip", GradClipSpecToJson(spec.grad_clip)},
            {"early_stopping",
             spec.early_stopping ? EarlyStoppingSpecToJson(*spec.early_stopping) : Json()},
            {"epochs", spec.epochs},
            {"batch_size", spec.batch_size},
            {"seed", spec.seed},
            {"rows", rows},
            {"features", features},
            {"classes", classes},
            {"validation_rows", val_rows}};
  return CanonicalJson(j);
}

// Runs the loop to the end, checkpointing as `hooks` asks.
Status DriveLoop(TrainingLoop& loop, const TrainHooks& hooks, const std::string& fingerprint) {
  Stopwatch since_checkpoint;
  int64_t last_checkpoint_step = loop.state().step;
  const CheckpointPolicy& policy = hooks.checkpoint;
  auto take = [&](bool final) -> Status {
    // In a group only rank 0 checkpoints: every rank holds the same state.
    if (!loop.IsRankZero()) return Status::Ok();
    RETURN_IF_ERROR(loop.CheckFinite());
    last_checkpoint_step = loop.state().step;
    since_checkpoint.Reset();
    if (!hooks.on_checkpoint) return Status::Ok();
    return hooks.on_checkpoint(loop.Snapshot(fingerprint), final);
  };
  // Between two steps: stop on a signal, checkpoint when one is due.
  auto between = [&]() -> Status {
    if (const int signal = loop.StopSignal(); signal != 0) {
      RETURN_IF_ERROR(take(true));
      return CancelledError(fmt::format(
          "training interrupted by signal {} at epoch {}, step {}; a checkpoint was saved", signal,
          loop.state().epoch + 1, loop.state().step));
    }
    const bool due =
        (policy.every_steps > 0 &&
         loop.state().step - last_checkpoint_step >= policy.every_steps) ||
        (policy.every_seconds > 0 && since_checkpoint.ElapsedSeconds() >= policy.every_seconds);
    return due ? take(false) : Status::Ok();
  };
  while (!loop.Done()) {
    ASSIGN_OR_RETURN(EpochMetrics m, loop.RunEpoch(hooks.on_step, between));
    if (hooks.on_epoch) RETURN_IF_ERROR(hooks.on_epoch(m));
    if (!loop.Done()) RETURN_IF_ERROR(between());
  }
  return Status::Ok();
}

}  // namespace

Result<ModelFiles> TrainModel(const TrainSpec& requested, const DatasetView& train,
                              const DatasetView* validation, const TrainHooks& hooks) {
  // A transformer's vocabulary size may come from the data; from here on it
  // is fixed, and model.json records it.
  TrainSpec spec = requested;
  RETURN_IF_ERROR(ResolveTokenVocabulary(spec, train, validation));
  if (spec.model.arch == "torchscript") {
    // model.json names the module by digest: a checkpoint or a model is
    // tied to the exact code it was trained with.
    spec.model.module.sha256 = crypto::Sha256::Of(spec.model.module.bytes).Hex();
  }
  ASSIGN_OR_RETURN(DatasetTensors data, LoadDataset(train));
  const int64_t rows = data.features.size(0);
  const int64_t classes = static_cast<int64_t>(data.classes.size());
  if (rows == 0)
    return InvalidArgumentError(fmt::format("{}: the training dataset has no rows", train.name));
  if (classes < 2) {
    return InvalidArgumentError(fmt::format(
        "{}: the training data has {} class; a classifier needs at least 2", train.name, classes));
  }
  if (spec.early_stopping && validation == nullptr) {
    return InvalidArgumentError(
        "early_stopping needs a validation dataset: add `validation: <ref>` to the train step");
  }
  std::optional<DatasetTensors> val;
  if (validation != nullptr) {
    ASSIGN_OR_RETURN(val, LoadDataset(*validation));
    RETURN_IF_ERROR(CheckSamePreparation(data, train.name, *val, validation->name));
    if (val->features.size(0) == 0) {
      return InvalidArgumentError(
          fmt::format("{}: the validation dataset has no rows", validation->name));
    }
  }
  ASSIGN_OR_RETURN(std::vector<double> class_weights,
                   ClassWeights(spec.class_weights, data, train.name));

  ModelFiles files;
  Json early_stopping;
  int64_t epochs_run = 0;
  // The intra-op thread count is process-global in torch: restore it so that
  // later steps in this process do not inherit the training setting.
  struct ThreadCountGuard {
    int previous = torch::get_num_threads();
    ~ThreadCountGuard() { torch::set_num_threads(previous); }
  } thread_guard;
  // OpenBLAS keeps its own thread pool, which torch's setting does not
  // reach: with more BLAS threads than asked for, the idle ones spin in
  // sched_yield and take the cores the training threads need (40 % of the
  // digits MLP's CPU time before this).
  BlasThreadScope blas_threads(spec.threads);
  Status status = CatchTorch("training", [&]() -> Status {
    torch::set_num_threads(spec.threads);
    TrainingData tensors;
    tensors.features = data.features;
    tensors.labels = data.labels;
    if (val) {
      tensors.val_features = val->features;
      tensors.val_labels = val->labels;
    }
    if (!class_weights.empty()) {
      tensors.class_weights = torch::tensor(class_weights, torch::kFloat64).to(torch::kFloat32);
    }
    ASSIGN_OR_RETURN(auto loop, TrainingLoop::Start(spec, std::move(tensors), classes));
    GlooGroup* group = nullptr;
    if (hooks.group != nullptr) {
      group = dynamic_cast<GlooGroup*>(hooks.group);
      if (group == nullptr) return InternalError("the process group is not a Gloo group");
    }
    loop->Attach(group, hooks.interrupt);
    const std::string fingerprint =
        Fingerprint(spec, rows, data.features.size(1), classes, val ? val->features.size(0) : 0);
    if (!hooks.resume_from.empty()) {
      Stopwatch restore_clock;
      Status restored = loop->Restore(hooks.resume_from, fingerprint);
      if (!restored.ok()) return restored.WithContext("cannot resume from the checkpoint");
      if (hooks.on_resume) {
        RETURN_IF_ERROR(hooks.on_resume(loop->state().history, restore_clock.ElapsedSeconds()));
      }
    }
    RETURN_IF_ERROR(DriveLoop(*loop, hooks, fingerprint));
    loop->Finish();
    ASSIGN_OR_RETURN(files.safetensors, SerializeWeights(loop->net()));
    early_stopping = loop->EarlyStoppingJson();
    epochs_run = loop->state().epoch;
    return Status::Ok();
  });
  RETURN_IF_ERROR(status);

  files.model_json = {
      {"format", kModelFormat},
      {"task", "classification"},
      {"architecture", ModelSpecToJson(spec.model)},
      {"input",
       {{"name", "features"},
        {"datatype", "FP32"},
        {"shape", {-1, data.feature_names.size()}},
        {"features", data.feature_names}}},
      {"output",
       {{"name", "probabilities"},
        {"datatype", "FP32"},
        {"shape", {-1, classes}},
        {"label", data.label_name},
        {"classes", data.classes}}},
      {"preprocessing", data.preprocessing},
      {"raw_input", data.input},
      {"training",
       {{"optimizer", OptimizerSpecToJson(spec.optimizer)},
        {"lr_schedule", LrScheduleSpecToJson(spec.lr_schedule)},
        {"grad_clip", GradClipSpecToJson(spec.grad_clip)},
        {"class_weights", ClassWeightsJson(spec.class_weights, class_weights)},
        {"validation", val ? Json{{"rows", val->features.size(0)}} : Json()},
        {"early_stopping", early_stopping},
        {"epochs", spec.epochs},
        {"epochs_run", epochs_run},
        {"batch_size", spec.batch_size},
        {"seed", spec.seed},
        {"threads", spec.threads},
        {"rows", rows},
        {"loss", "cross_entropy"}}},
  };
  if (spec.model.arch == "torchscript") files.torchscript = spec.model.module.bytes;
  // Data-parallel training takes other (equally valid) steps than one
  // process: the model says how many processes trained it.
  if (hooks.group != nullptr && hooks.group->world_size() > 1) {
    files.model_json["training"]["processes"] = hooks.group->world_size();
  }
  return files;
}

}  // namespace citadel::ml::internal
