// Parses a train step into a TrainSpec and writes its parts back as the JSON
// that model.json records. Every range is checked here, so that the trainer
// never sees a setting torch would reject halfway through a run.
#include "ml/training/train_spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <thread>
#include <vector>

#include "base/text/byte_size.h"
#include "ml/model_files.h"

namespace citadel::ml {
namespace {

// conv: [{channels, kernel, pool, batch_norm}, …]; the image must not
// shrink below one pixel.
Status ParseConv(const SpecReader& model, ModelSpec& spec) {
  if (!model.Has("conv") || !model.json()["conv"].is_array() || model.json()["conv"].empty()) {
    return model.FieldError("conv",
                            "a cnn needs a non-empty list of conv blocks, e.g. "
                            "[{ channels: 32, kernel: 3, pool: 2 }]");
  }
  SpecReader list = model.Child("conv");
  int64_t height = spec.input_shape[1], width = spec.input_shape[2];
  for (size_t i = 0; i < model.json()["conv"].size(); ++i) {
    SpecReader block = list.Element(i);
    RETURN_IF_ERROR(block.ExpectObject({"channels", "kernel", "pool", "batch_norm"}));
    ConvLayerSpec layer;
    ASSIGN_OR_RETURN(layer.channels, block.Int("channels", 1, 4096));
    ASSIGN_OR_RETURN(layer.kernel, block.Int("kernel", 1, 31, 3));
    if (layer.kernel % 2 == 0) {
      return block.FieldError("kernel", "must be odd (convolutions keep the image size)");
    }
    ASSIGN_OR_RETURN(layer.pool, block.Int("pool", 1, 16, 2));
    ASSIGN_OR_RETURN(layer.batch_norm, block.Bool("batch_norm", false));
    height /= layer.pool;
    width /= layer.pool;
    if (height < 1 || width < 1) {
      return block.FieldError("pool",
                              "pools the image below one pixel; use fewer or smaller "
                              "pools");
    }
    spec.conv.push_back(layer);
  }
  return Status::Ok();
}

// The transformer's own fields; every width is checked here so that torch
// never sees an encoder it would reject.
Status ParseTransformer(const SpecReader& model, ModelSpec& spec) {
  TransformerSpec& t = spec.transformer;
  ASSIGN_OR_RETURN(t.vocab_size, model.Int("vocab_size", 2, INT64_C(1) << 24, 0));
  ASSIGN_OR_RETURN(t.d_model, model.Int("d_model", 1, 4096, 64));
  ASSIGN_OR_RETURN(t.heads, model.Int("heads", 1, 64, 4));
  ASSIGN_OR_RETURN(t.layers, model.Int("layers", 1, 48, 2));
  ASSIGN_OR_RETURN(t.feedforward, model.Int("feedforward", 1, 65536, 0));
  if (t.d_model % t.heads != 0) {
    return model.FieldError("heads", fmt::format("d_model {} must be a multiple of heads {} (each "
                                                 "head gets d_model / heads dimensions)",
                                                 t.d_model, t.heads));
  }
  ASSIGN_OR_RETURN(spec.dropout, model.Number("dropout", 0.0, 0.95, 0.1));
  return Status::Ok();
}

Result<ModelSpec> ParseModel(const SpecReader& model) {
  ModelSpec spec;
  RETURN_IF_ERROR(
      model.ExpectObject({"arch", "hidden", "dropout", "input_shape", "conv", "vocab_size",
                          "d_model", "heads", "layers", "feedforward", "module"}));
  ASSIGN_OR_RETURN(spec.arch, model.String("arch"));
  if (spec.arch == "torchscript") {
    // The module is the whole architecture: nothing else may shape it.
    for (const auto& [key, value] : model.json().items()) {
      if (key != "arch" && key != "module") {
        return model.FieldError(key, "a torchscript model is defined by its module alone");
      }
    }
    if (!model.Has("module")) {
      return model.FieldError("module",
                              "give the TorchScript file (torch.jit.script(model).save(PATH) in "
                              "Python), relative to the pipeline file");
    }
    ASSIGN_OR_RETURN(spec.module.path, model.String("module"));
    if (spec.module.path.empty()) return model.FieldError("module", "the path is empty");
    return spec;
  }
  if (model.Has("module")) return model.FieldError("module", "only a torchscript model has module");
  if (spec.arch != "cnn") {
    for (const char* field : {"input_shape", "conv"}) {
      if (model.Has(field)) return model.FieldError(field, "only a cnn has " + std::string(field));
    }
  }
  if (spec.arch != "transformer") {
    for (const char* field : {"vocab_size", "d_model", "heads", "layers", "feedforward"}) {
      if (model.Has(field)) {
        return model.FieldError(field, "only a transformer has " + std::string(field));
      }
    }
  }
  if (spec.arch == "mlp" || spec.arch == "cnn") {
    if (spec.arch == "mlp" || model.Has("hidden")) {
      ASSIGN_OR_RETURN(spec.hidden, model.IntList("hidden", 1, 1 << 16));
    }
    if (spec.arch == "mlp" && spec.hidden.empty())
      return model.FieldError("hidden", "an mlp needs at least one hidden layer");
    ASSIGN_OR_RETURN(spec.dropout, model.Number("dropout", 0.0, 0.95, 0.0));
  } else if (spec.arch == "logreg") {
    if (model.Has("hidden")) return model.FieldError("hidden", "logreg has no hidden layers");
    if (model.Has("dropout")) return model.FieldError("dropout", "logreg has no dropout");
  } else if (spec.arch == "transformer") {
    if (model.Has("hidden")) {
      return model.FieldError("hidden",
                              "a transformer has no hidden layers; size it with d_model, "
                              "layers and feedforward");
    }
    RETURN_IF_ERROR(ParseTransformer(model, spec));
  } else {
    return model.FieldError("arch", "unknown architecture '" + spec.arch +
                                        "' (supported: logreg, mlp, cnn, transformer, "
                                        "torchscript)");
  }
  if (spec.arch == "cnn") {
    if (!model.Has("input_shape")) {
      return model.FieldError("input_shape",
                              "a cnn needs the image shape [channels, height, width], e.g. "
                              "[1, 28, 28] for Fashion-MNIST");
    }
    ASSIGN_OR_RETURN(spec.input_shape, model.IntList("input_shape", 1, 1 << 16));
    if (spec.input_shape.size() != 3) {
      return model.FieldError("input_shape", "give [channels, height, width]");
    }
    RETURN_IF_ERROR(ParseConv(model, spec));
  }
  return spec;
}

// betas: [b1, b2], each in [0, 1): the decay rates of Adam's moment estimates.
Status ParseBetas(const SpecReader& opt, OptimizerSpec& spec) {
  if (!opt.Has("betas")) return Status::Ok();
  const Json& betas = opt.json()["betas"];
  bool ok = betas.is_array() && betas.size() == 2;
  for (size_t i = 0; ok && i < 2; ++i) {
    ok = betas[i].is_number() && betas[i].get<double>() >= 0.0 && betas[i].get<double>() < 1.0;
  }
  if (!ok) {
    return opt.FieldError("betas", fmt::format("expected two numbers in [0, 1) such as "
                                               "[0.9, 0.999], got {}",
                                               betas.dump()));
  }
  spec.beta1 = betas[0].get<double>();
  spec.beta2 = betas[1].get<double>();
  return Status::Ok();
}

Result<OptimizerSpec> ParseOptimizer(const SpecReader& opt) {
  OptimizerSpec spec;
  RETURN_IF_ERROR(
      opt.ExpectObject({"name", "lr", "momentum", "nesterov", "weight_decay", "betas", "eps"}));
  ASSIGN_OR_RETURN(spec.name, opt.String("name", "adam"));
  const bool sgd = spec.name == "sgd";
  if (!sgd && spec.name != "adam" && spec.name != "adamw") {
    return opt.FieldError("name",
                          "unknown optimizer '" + spec.name + "' (supported: sgd, adam, adamw)");
  }
  ASSIGN_OR_RETURN(spec.lr, opt.Number("lr", 1e-12, 10.0, sgd ? 0.01 : 1e-3));
  // AdamW exists for its decoupled weight decay: its default is PyTorch's.
  ASSIGN_OR_RETURN(spec.weight_decay,
                   opt.Number("weight_decay", 0.0, 1.0, spec.name == "adamw" ? 0.01 : 0.0));
  if (sgd) {
    for (std::string_view key : {"betas", "eps"}) {
      if (opt.Has(key)) {
        return opt.FieldError(key, fmt::format("{} applies to adam and adamw only; sgd takes "
                                               "momentum and nesterov",
                                               key));
      }
    }
    ASSIGN_OR_RETURN(spec.momentum, opt.Number("momentum", 0.0, 0.999, 0.0));
    ASSIGN_OR_RETURN(spec.nesterov, opt.Bool("nesterov", false));
    if (spec.nesterov && spec.momentum <= 0.0) {
      return opt.FieldError(
          "nesterov", "nesterov needs momentum > 0: set momentum (e.g. 0.9) or drop nesterov");
    }
    return spec;
  }
  for (std::string_view key : {"momentum", "nesterov"}) {
    if (opt.Has(key)) {
      return opt.FieldError(
          key, fmt::format("{} applies to sgd only ({} has its own betas)", key, spec.name));
    }
  }
  RETURN_IF_ERROR(ParseBetas(opt, spec));
  ASSIGN_OR_RETURN(spec.eps, opt.Number("eps", 1e-12, 1.0, 1e-8));
  return spec;
}

Result<LrScheduleSpec> ParseLrSchedule(const SpecReader& sched, double lr, int64_t epochs) {
  LrScheduleSpec spec;
  RETURN_IF_ERROR(sched.ExpectObject({"name", "step_size", "gamma", "min_lr", "warmup_epochs"}));
  ASSIGN_OR_RETURN(spec.name, sched.String("name", "constant"));
  if (spec.name != "constant" && spec.name != "step" && spec.name != "cosine") {
    return sched.FieldError(
        "name", "unknown lr_schedule '" + spec.name + "' (supported: constant, step, cosine)");
  }
  const std::pair<std::string_view, std::string_view> owners[] = {
      {"step_size", "step"}, {"gamma", "step"}, {"min_lr", "cosine"}};
  for (const auto& [key, owner] : owners) {
    if (sched.Has(key) && spec.name != owner) {
      return sched.FieldError(
          key, fmt::format("{} applies to the {} schedule only, not {}", key, owner, spec.name));
    }
  }
  if (spec.name == "step") {
    ASSIGN_OR_RETURN(spec.step_size, sched.Int("step_size", 1, 100000));
    ASSIGN_OR_RETURN(spec.gamma, sched.Number("gamma", 1e-9, 1.0, 0.1));
  }
  if (spec.name == "cosine") {
    ASSIGN_OR_RETURN(spec.min_lr, sched.Number("min_lr", 0.0, 10.0, 0.0));
    if (spec.min_lr >= lr) {
      return sched.FieldError(
          "min_lr", fmt::format("min_lr {} must be below the optimizer's lr {}", spec.min_lr, lr));
    }
  }
  // Warm-up must leave the schedule at least one epoch, or it never runs.
  ASSIGN_OR_RETURN(spec.warmup_epochs, sched.Int("warmup_epochs", 0, epochs - 1, 0));
  return spec;
}

Result<GradClipSpec> ParseGradClip(const SpecReader& clip) {
  GradClipSpec spec;
  RETURN_IF_ERROR(clip.ExpectObject({"max_norm", "max_value"}));
  if (!clip.Has("max_norm") && !clip.Has("max_value")) {
    return clip.Error("grad_clip needs max_norm (total L2 norm) and/or max_value (per element)");
  }
  if (clip.Has("max_norm")) {
    ASSIGN_OR_RETURN(spec.max_norm, clip.Number("max_norm", 1e-12, 1e12));
  }
  if (clip.Has("max_value")) {
    ASSIGN_OR_RETURN(spec.max_value, clip.Number("max_value", 1e-12, 1e12));
  }
  return spec;
}

// `balanced`, or one positive weight per class (the count is checked against
// the dataset when training starts).
Result<ClassWeightsSpec> ParseClassWeights(const SpecReader& step) {
  ClassWeightsSpec spec;
  const Json& value = step.json()["class_weights"];
  if (value.is_string() && value.get<std::string>() == "balanced") {
    spec.balanced = true;
    return spec;
  }
  if (!value.is_array() || value.empty()) {
    return step.FieldError("class_weights", fmt::format("expected 'balanced' or a list of one "
                                                        "positive weight per class, got {}",
                                                        value.dump()));
  }
  SpecReader list = step.Child("class_weights");
  for (size_t i = 0; i < value.size(); ++i) {
    const Json& w = value[i];
    if (!w.is_number() || !(w.get<double>() > 0.0) || !std::isfinite(w.get<double>())) {
      return list.Element(i).Error(
          fmt::format("class weight {} must be a positive number, got {}", i, w.dump()));
    }
    spec.values.push_back(w.get<double>());
  }
  return spec;
}

Result<EarlyStoppingSpec> ParseEarlyStopping(const SpecReader& step) {
  if (!step.Has("validation")) {
    return step.FieldError("early_stopping",
                           "early_stopping needs a validation dataset: add `validation: <ref>` "
                           "(e.g. prepare.validation) to the step, or drop early_stopping");
  }
  EarlyStoppingSpec spec;
  SpecReader es = step.Child("early_stopping");
  RETURN_IF_ERROR(es.ExpectObject({"metric", "patience", "min_delta"}));
  ASSIGN_OR_RETURN(spec.metric, es.String("metric", "val_loss"));
  if (spec.metric != "val_loss" && spec.metric != "val_accuracy") {
    return es.FieldError("metric", "unknown early_stopping metric '" + spec.metric +
                                       "' (supported: val_loss, val_accuracy)");
  }
  ASSIGN_OR_RETURN(spec.patience, es.Int("patience", 1, 100000, 5));
  ASSIGN_OR_RETURN(spec.min_delta, es.Number("min_delta", 0.0, 1e9, 0.0));
  return spec;
}

// ood: false | true | { quantile: Q, space: S }. A transformer's input
// features are token ids, whose distances mean nothing: its detector is
// off by default and, when asked for, scores the penultimate layer.
Result<OodSpec> ParseOod(const SpecReader& step, const ModelSpec& model) {
  OodSpec spec;
  // Input features by default: on the Fashion-MNIST cnn they caught
  // noise, inverted images and FGSM adversarial images far more often than
  // the penultimate layer at the same false-positive rate (docs/formats/
  // model.md). A transformer's input features are token ids, so its
  // detector, when asked for, scores the penultimate layer.
  const bool has_penultimate = PenultimateWidth(model) > 0;
  spec.space = model.arch == "transformer" ? FeatureSpace::kPenultimate
                                           : FeatureSpace::kInputFeatures;
  if (!step.Has("ood")) {
    spec.enabled = model.arch != "transformer";
    return spec;
  }
  const Json& value = step.json()["ood"];
  if (value.is_boolean()) {
    spec.enabled = value.get<bool>();
  } else if (value.is_object()) {
    SpecReader ood = step.Child("ood");
    RETURN_IF_ERROR(ood.ExpectObject({"quantile", "space"}));
    ASSIGN_OR_RETURN(spec.quantile, ood.Number("quantile", 0.5, 1.0, spec.quantile));
    ASSIGN_OR_RETURN(const std::string space,
                     ood.String("space", std::string(FeatureSpaceName(spec.space))));
    if (space == "penultimate" && !has_penultimate) {
      return ood.FieldError(
          "space", fmt::format("a {} model has no penultimate layer of its own; use "
                               "input_features (the default)",
                               model.arch));
    }
    if (space == "penultimate") {
      spec.space = FeatureSpace::kPenultimate;
    } else if (space == "input_features") {
      spec.space = FeatureSpace::kInputFeatures;
    } else {
      return ood.FieldError("space", fmt::format("unknown space '{}' (penultimate or "
                                                 "input_features)",
                                                 space));
    }
  } else {
    return step.FieldError("ood", fmt::format("expected false, true or {{ quantile: Q, space: S "
                                              "}} with Q in [0.5, 1] (default 0.99) and S "
                                              "penultimate or input_features, got {}",
                                              value.dump()));
  }
  spec.requested = spec.enabled;
  if (spec.enabled && model.arch == "transformer" && spec.space != FeatureSpace::kPenultimate) {
    return step.FieldError("ood",
                           "a transformer's input features are token ids, whose distances say "
                           "nothing about the text: its detector scores the penultimate layer "
                           "(drop space, or drop ood)");
  }
  return spec;
}

}  // namespace

int64_t PenultimateWidth(const ModelSpec& model) {
  // The shapes torch/network.cc builds.
  if (model.arch == "transformer") return model.transformer.d_model;
  if ((model.arch == "mlp" || model.arch == "cnn") && !model.hidden.empty()) {
    return model.hidden.back();
  }
  if (model.arch == "cnn" && model.input_shape.size() == 3) {
    int64_t channels = model.input_shape[0];
    int64_t height = model.input_shape[1];
    int64_t width = model.input_shape[2];
    for (const ConvLayerSpec& c : model.conv) {
      channels = c.channels;
      if (c.pool > 1) {
        height /= c.pool;
        width /= c.pool;
      }
    }
    return channels * height * width;
  }
  return 0;
}

namespace {

Status CheckKnownFields(const SpecReader& step,
                        std::initializer_list<std::string_view> extra_known) {
  std::vector<std::string_view> known = {
      "name",       "kind",          "model",          "optimizer",  "lr_schedule",
      "grad_clip",  "class_weights", "early_stopping", "validation", "epochs",
      "batch_size", "seed",          "resources",      "ood"};
  known.insert(known.end(), extra_known.begin(), extra_known.end());
  if (!step.json().is_object()) return step.Error("a step must be a mapping");
  for (const auto& [key, unused] : step.json().items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string names;
      for (auto k : known) names += (names.empty() ? "" : ", ") + std::string(k);
      return step.FieldError(
          key, "unknown field '" + key + "' for a train step (known fields: " + names + ")");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<TrainSpec> ParseTrainSpec(const SpecReader& step,
                                 std::initializer_list<std::string_view> extra_known) {
  RETURN_IF_ERROR(CheckKnownFields(step, extra_known));
  TrainSpec spec;
  if (!step.Has("model")) return step.FieldError("model", "required field 'model' is missing");
  ASSIGN_OR_RETURN(spec.model, ParseModel(step.Child("model")));
  if (step.Has("optimizer")) {
    ASSIGN_OR_RETURN(spec.optimizer, ParseOptimizer(step.Child("optimizer")));
  }
  ASSIGN_OR_RETURN(spec.epochs, step.Int("epochs", 1, 100000, 10));
  if (step.Has("lr_schedule")) {
    ASSIGN_OR_RETURN(spec.lr_schedule,
                     ParseLrSchedule(step.Child("lr_schedule"), spec.optimizer.lr, spec.epochs));
  }
  if (step.Has("grad_clip")) {
    ASSIGN_OR_RETURN(spec.grad_clip, ParseGradClip(step.Child("grad_clip")));
  }
  if (step.Has("class_weights")) {
    ASSIGN_OR_RETURN(spec.class_weights, ParseClassWeights(step));
  }
  if (step.Has("validation")) RETURN_IF_ERROR(step.String("validation").status());
  if (step.Has("early_stopping")) {
    ASSIGN_OR_RETURN(spec.early_stopping, ParseEarlyStopping(step));
  }
  ASSIGN_OR_RETURN(spec.ood, ParseOod(step, spec.model));
  ASSIGN_OR_RETURN(spec.batch_size, step.Int("batch_size", 1, 1 << 20, 64));
  ASSIGN_OR_RETURN(int64_t seed, step.Int("seed", 0, INT64_MAX, 0));
  spec.seed = static_cast<uint64_t>(seed);
  if (step.Has("resources")) {
    SpecReader res = step.Child("resources");
    RETURN_IF_ERROR(res.ExpectObject({"threads", "memory"}));
    int64_t max_threads = std::max<int64_t>(1, std::thread::hardware_concurrency()) * 4;
    ASSIGN_OR_RETURN(int64_t threads, res.Int("threads", 1, max_threads, 1));
    spec.threads = static_cast<int>(threads);
    if (res.Has("memory")) {
      const Json& memory = res.json()["memory"];
      std::optional<uint64_t> bytes;
      if (memory.is_number_unsigned()) {
        bytes = memory.get<uint64_t>();
      } else if (memory.is_string()) {
        bytes = ParseByteSize(memory.get<std::string>());
      }
      if (!bytes || *bytes == 0) {
        return res.FieldError("memory",
                              "expected a positive size such as 512MiB, 2GiB or 1.5GB (or bytes)");
      }
      spec.memory_limit = bytes;
    }
  }
  return spec;
}

Json ModelSpecToJson(const ModelSpec& spec) {
  Json j = {{"arch", spec.arch}};
  if (spec.arch == "mlp" || spec.arch == "cnn") {
    j["hidden"] = spec.hidden;
    j["dropout"] = spec.dropout;
    j["activation"] = "relu";
  }
  if (spec.arch == "cnn") {
    j["input_shape"] = spec.input_shape;
    Json conv = Json::array();
    for (const ConvLayerSpec& c : spec.conv) {
      conv.push_back({{"channels", c.channels},
                      {"kernel", c.kernel},
                      {"pool", c.pool},
                      {"batch_norm", c.batch_norm}});
    }
    j["conv"] = conv;
  }
  if (spec.arch == "transformer") {
    const TransformerSpec& t = spec.transformer;
    j["dropout"] = spec.dropout;
    j["d_model"] = t.d_model;
    j["heads"] = t.heads;
    j["layers"] = t.layers;
    j["feedforward"] = t.FeedforwardWidth();
    // Unset (0) until the trainer resolves it from the data: model.json
    // always holds the resolved size, which inference needs.
    if (t.vocab_size > 0) j["vocab_size"] = t.vocab_size;
  }
  if (spec.arch == "torchscript") {
    // Where the module is inside the model artifact, not where it came
    // from: the same module gives the same model wherever it was read.
    j["module"] = kScriptedModuleFile;
    j["module_sha256"] = spec.module.sha256;
  }
  return j;
}

Result<ModelSpec> ModelSpecFromArchitectureJson(const Json& architecture, std::string_view source) {
  if (!architecture.is_object()) {
    return InvalidArgumentError(
        fmt::format("{}: model.json architecture is not an object", source));
  }
  YamlDocument doc{fmt::format("{} model.json architecture", source), architecture, {}};
  if (doc.root.contains("activation")) {
    if (doc.root["activation"] != "relu") {
      return InvalidArgumentError(
          fmt::format("{}: unsupported activation {}", source, doc.root["activation"].dump()));
    }
    doc.root.erase("activation");
  }
  std::string module_sha256;
  if (doc.root.contains("module_sha256") && doc.root["module_sha256"].is_string()) {
    module_sha256 = doc.root["module_sha256"].get<std::string>();
    doc.root.erase("module_sha256");
  }
  ASSIGN_OR_RETURN(ModelSpec spec, ParseModel(SpecReader(doc, "")));
  if (spec.arch == "torchscript") {
    if (module_sha256.size() != 64) {
      return InvalidArgumentError(
          fmt::format("{}: model.json architecture.module_sha256 is missing or malformed", source));
    }
    spec.module.sha256 = module_sha256;
  }
  return spec;
}

Json OptimizerSpecToJson(const OptimizerSpec& spec) {
  Json j = {{"name", spec.name}, {"lr", spec.lr}, {"weight_decay", spec.weight_decay}};
  if (spec.name == "sgd") {
    j["momentum"] = spec.momentum;
    j["nesterov"] = spec.nesterov;
  } else {
    j["betas"] = {spec.beta1, spec.beta2};
    j["eps"] = spec.eps;
    j["weight_decay_mode"] = spec.name == "adamw" ? "decoupled" : "l2";
  }
  return j;
}

Json LrScheduleSpecToJson(const LrScheduleSpec& spec) {
  Json j = {{"name", spec.name}, {"warmup_epochs", spec.warmup_epochs}, {"per", "epoch"}};
  if (spec.name == "step") {
    j["step_size"] = spec.step_size;
    j["gamma"] = spec.gamma;
  }
  if (spec.name == "cosine") j["min_lr"] = spec.min_lr;
  return j;
}

Json GradClipSpecToJson(const GradClipSpec& spec) {
  if (!spec.max_norm && !spec.max_value) return Json();
  Json j = Json::object();
  if (spec.max_norm) j["max_norm"] = *spec.max_norm;
  if (spec.max_value) j["max_value"] = *spec.max_value;
  return j;
}

Json EarlyStoppingSpecToJson(const EarlyStoppingSpec& spec) {
  return {{"metric", spec.metric}, {"patience", spec.patience}, {"min_delta", spec.min_delta}};
}

}  // namespace citadel::ml
