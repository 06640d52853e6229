#include "ml/train_spec.h"

#include <thread>
#include <vector>

namespace citadel::ml {

Result<TrainSpec> ParseTrainSpec(const SpecReader& step,
                                 std::initializer_list<std::string_view> extra_known) {
  std::vector<std::string_view> known = {"name",   "kind",       "model", "optimizer",
                                         "epochs", "batch_size", "seed",  "resources"};
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

  TrainSpec spec;
  if (!step.Has("model")) return step.FieldError("model", "required field 'model' is missing");
  SpecReader model = step.Child("model");
  RETURN_IF_ERROR(model.ExpectObject({"arch", "hidden", "dropout"}));
  ASSIGN_OR_RETURN(spec.model.arch, model.String("arch"));
  if (spec.model.arch == "mlp") {
    ASSIGN_OR_RETURN(spec.model.hidden, model.IntList("hidden", 1, 1 << 16));
    if (spec.model.hidden.empty())
      return model.FieldError("hidden", "an mlp needs at least one hidden layer");
    ASSIGN_OR_RETURN(spec.model.dropout, model.Number("dropout", 0.0, 0.95, 0.0));
  } else if (spec.model.arch == "logreg") {
    if (model.Has("hidden")) return model.FieldError("hidden", "logreg has no hidden layers");
    if (model.Has("dropout")) return model.FieldError("dropout", "logreg has no dropout");
  } else {
    return model.FieldError(
        "arch", "unknown architecture '" + spec.model.arch + "' (supported: logreg, mlp)");
  }

  if (step.Has("optimizer")) {
    SpecReader opt = step.Child("optimizer");
    RETURN_IF_ERROR(opt.ExpectObject({"name", "lr", "momentum", "weight_decay"}));
    ASSIGN_OR_RETURN(spec.optimizer.name, opt.String("name", "adam"));
    if (spec.optimizer.name != "adam" && spec.optimizer.name != "sgd") {
      return opt.FieldError(
          "name", "unknown optimizer '" + spec.optimizer.name + "' (supported: sgd, adam)");
    }
    ASSIGN_OR_RETURN(spec.optimizer.lr,
                     opt.Number("lr", 1e-12, 10.0, spec.optimizer.name == "sgd" ? 0.01 : 1e-3));
    ASSIGN_OR_RETURN(spec.optimizer.momentum, opt.Number("momentum", 0.0, 0.999, 0.0));
    if (spec.optimizer.name == "adam" && opt.Has("momentum")) {
      return opt.FieldError("momentum", "momentum applies to sgd only (adam has its own betas)");
    }
    ASSIGN_OR_RETURN(spec.optimizer.weight_decay, opt.Number("weight_decay", 0.0, 1.0, 0.0));
  }
  ASSIGN_OR_RETURN(spec.epochs, step.Int("epochs", 1, 100000, 10));
  ASSIGN_OR_RETURN(spec.batch_size, step.Int("batch_size", 1, 1 << 20, 64));
  ASSIGN_OR_RETURN(int64_t seed, step.Int("seed", 0, INT64_MAX, 0));
  spec.seed = static_cast<uint64_t>(seed);
  if (step.Has("resources")) {
    SpecReader res = step.Child("resources");
    RETURN_IF_ERROR(res.ExpectObject({"threads"}));
    int64_t max_threads = std::max<int64_t>(1, std::thread::hardware_concurrency()) * 4;
    ASSIGN_OR_RETURN(int64_t threads, res.Int("threads", 1, max_threads, 1));
    spec.threads = static_cast<int>(threads);
  }
  return spec;
}

Json ModelSpecToJson(const ModelSpec& spec) {
  Json j = {{"arch", spec.arch}};
  if (spec.arch == "mlp") {
    j["hidden"] = spec.hidden;
    j["dropout"] = spec.dropout;
    j["activation"] = "relu";
  }
  return j;
}

Json OptimizerSpecToJson(const OptimizerSpec& spec) {
  Json j = {{"name", spec.name}, {"lr", spec.lr}, {"weight_decay", spec.weight_decay}};
  if (spec.name == "sgd") j["momentum"] = spec.momentum;
  return j;
}

}  // namespace citadel::ml
