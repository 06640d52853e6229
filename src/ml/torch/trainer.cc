#include <fmt/format.h>

#include <cmath>

#include "base/random.h"
#include "base/time.h"
#include "formats/safetensors.h"
#include "ml/torch/network.h"
#include "ml/torch/tensors.h"
#include "ml/torch/torch_runtime.h"

namespace citadel::ml {

namespace {

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const OptimizerSpec& spec,
                                                       std::vector<torch::Tensor> params) {
  if (spec.name == "sgd") {
    return std::make_unique<torch::optim::SGD>(
        params,
        torch::optim::SGDOptions(spec.lr).momentum(spec.momentum).weight_decay(spec.weight_decay));
  }
  return std::make_unique<torch::optim::Adam>(
      params, torch::optim::AdamOptions(spec.lr).weight_decay(spec.weight_decay));
}

Result<std::string> SerializeWeights(torch::nn::Sequential& net) {
  formats::SafetensorsWriter writer;
  for (const auto& item : net->named_parameters()) {
    const torch::Tensor& p = item.value();
    RETURN_IF_ERROR(
        writer.Add(item.key(), formats::DType::kF32, p.sizes().vec(), internal::Float32Bytes(p)));
  }
  writer.SetMetadata("format", std::string(kModelFormat));
  return writer.Serialize();
}

}  // namespace

namespace internal {

Result<ModelFiles> TrainModel(const TrainSpec& spec, const DatasetView& train,
                              const EpochCallback& on_epoch) {
  ASSIGN_OR_RETURN(internal::DatasetTensors data, internal::LoadDataset(train));
  const int64_t rows = data.features.size(0);
  const int64_t classes = static_cast<int64_t>(data.classes.size());
  if (rows == 0)
    return InvalidArgumentError(fmt::format("{}: the training dataset has no rows", train.name));
  if (classes < 2) {
    return InvalidArgumentError(fmt::format(
        "{}: the training data has {} class; a classifier needs at least 2", train.name, classes));
  }

  ModelFiles files;
  // The intra-op thread count is process-global in torch: restore it so that
  // later steps in this process do not inherit the training setting.
  struct ThreadCountGuard {
    int previous = torch::get_num_threads();
    ~ThreadCountGuard() { torch::set_num_threads(previous); }
  } thread_guard;
  Status status = internal::CatchTorch("training", [&]() -> Status {
    torch::set_num_threads(spec.threads);
    torch::manual_seed(spec.seed);
    ASSIGN_OR_RETURN(torch::nn::Sequential net,
                     internal::BuildNetwork(spec.model, data.features.size(1), classes));
    auto optimizer = MakeOptimizer(spec.optimizer, net->parameters());
    // Data order comes from our own seeded generator so that it is the same on
    // every platform and independent of torch's global RNG consumption.
    SeededRng order_rng(spec.seed ^ 0x9e3779b97f4a7c15ull);
    std::vector<int64_t> order(static_cast<size_t>(rows));
    for (int64_t i = 0; i < rows; ++i) order[static_cast<size_t>(i)] = i;

    net->train();
    for (int64_t epoch = 1; epoch <= spec.epochs; ++epoch) {
      Stopwatch clock;
      order_rng.Shuffle(order);
      torch::Tensor perm = torch::from_blob(order.data(), {rows}, torch::kInt64);
      double loss_sum = 0;
      int64_t correct = 0;
      for (int64_t start = 0; start < rows; start += spec.batch_size) {
        int64_t end = std::min(rows, start + spec.batch_size);
        torch::Tensor index = perm.slice(0, start, end);
        torch::Tensor x = data.features.index_select(0, index);
        torch::Tensor y = data.labels.index_select(0, index);
        optimizer->zero_grad();
        torch::Tensor logits = net->forward(x);
        torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
        double loss_value = loss.item<double>();
        if (!std::isfinite(loss_value)) {
          return FailedPreconditionError(fmt::format(
              "training diverged at epoch {} (batch starting at sample {}): loss is {}; lower the "
              "learning rate or check the data for extreme values",
              epoch, start, loss_value));
        }
        loss.backward();
        optimizer->step();
        loss_sum += loss_value * static_cast<double>(end - start);
        correct += logits.argmax(1).eq(y).sum().item<int64_t>();
      }
      EpochMetrics m;
      m.epoch = epoch;
      m.loss = loss_sum / static_cast<double>(rows);
      m.accuracy = static_cast<double>(correct) / static_cast<double>(rows);
      m.samples_per_second = static_cast<double>(rows) / std::max(1e-9, clock.ElapsedSeconds());
      if (on_epoch) RETURN_IF_ERROR(on_epoch(m));
    }
    net->eval();
    ASSIGN_OR_RETURN(files.safetensors, SerializeWeights(net));
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
        {"epochs", spec.epochs},
        {"batch_size", spec.batch_size},
        {"seed", spec.seed},
        {"threads", spec.threads},
        {"rows", rows},
        {"loss", "cross_entropy"}}},
  };
  return files;
}

}  // namespace internal
}  // namespace citadel::ml
