// TrainingLoop: one epoch at a time, validation and early stopping
// (training_loop.h).
#include "ml/torch/training_loop.h"

#include <fmt/format.h>

#include <cmath>

#include "base/time.h"
#include "ml/training/lr_schedule.h"
#include "ml/torch/network.h"
#include "ml/torch/optimizers.h"

namespace citadel::ml::internal {
namespace {

namespace F = torch::nn::functional;

// Validation runs in chunks so that a large validation set does not hold
// all of its activations at once; the chunk size is fixed, so the sums (and
// the early-stopping decisions made on them) are deterministic.
constexpr int64_t kValidationChunk = 8192;

}  // namespace

TrainingLoop::TrainingLoop(const TrainSpec& spec, TrainingData data)
    : spec_(spec), data_(std::move(data)) {}

Result<std::unique_ptr<TrainingLoop>> TrainingLoop::Start(const TrainSpec& spec, TrainingData data,
                                                          int64_t classes) {
  std::unique_ptr<TrainingLoop> loop(new TrainingLoop(spec, std::move(data)));
  TrainingState& s = loop->state_;
  torch::manual_seed(spec.seed);
  ASSIGN_OR_RETURN(s.net, BuildNetwork(spec.model, loop->data_.features.size(1), classes));
  s.optimizer = MakeOptimizer(spec.optimizer, s.net->parameters());
  // Data order comes from our own seeded generator so that it is the same on
  // every platform and independent of torch's global RNG consumption.
  s.order_rng = SeededRng(spec.seed ^ 0x9e3779b97f4a7c15ull);
  const int64_t rows = loop->data_.features.size(0);
  s.order.resize(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) s.order[static_cast<size_t>(i)] = i;
  return loop;
}

bool TrainingLoop::Done() const { return state_.stopped_early || state_.epoch >= spec_.epochs; }

Result<EpochMetrics> TrainingLoop::RunEpoch() {
  TrainingState& s = state_;
  const int64_t epoch = s.epoch + 1;
  const int64_t rows = data_.features.size(0);
  Stopwatch clock;
  SetLearningRate(*s.optimizer,
                  LearningRateAt(spec_.lr_schedule, spec_.optimizer.lr, spec_.epochs, epoch));
  s.order_rng.Shuffle(s.order);
  torch::Tensor perm = torch::from_blob(s.order.data(), {rows}, torch::kInt64);
  const auto loss_options = F::CrossEntropyFuncOptions().weight(data_.class_weights);
  const std::vector<torch::Tensor> params = s.net->parameters();

  s.net->train();
  double loss_sum = 0;
  int64_t correct = 0;
  for (int64_t start = 0; start < rows; start += spec_.batch_size) {
    int64_t end = std::min(rows, start + spec_.batch_size);
    torch::Tensor index = perm.slice(0, start, end);
    torch::Tensor x = data_.features.index_select(0, index);
    torch::Tensor y = data_.labels.index_select(0, index);
    s.optimizer->zero_grad();
    torch::Tensor logits = s.net->forward(x);
    torch::Tensor loss = F::cross_entropy(logits, y, loss_options);
    double loss_value = loss.item<double>();
    if (!std::isfinite(loss_value)) {
      return FailedPreconditionError(fmt::format(
          "training diverged at epoch {} (batch starting at sample {}): loss is {}; lower the "
          "learning rate, clip gradients (grad_clip) or check the data for extreme values",
          epoch, start, loss_value));
    }
    loss.backward();
    ClipGradients(spec_.grad_clip, params);
    s.optimizer->step();
    loss_sum += loss_value * static_cast<double>(end - start);
    correct += logits.argmax(1).eq(y).sum().item<int64_t>();
  }

  EpochMetrics m;
  m.epoch = epoch;
  m.loss = loss_sum / static_cast<double>(rows);
  m.accuracy = static_cast<double>(correct) / static_cast<double>(rows);
  m.samples_per_second = static_cast<double>(rows) / std::max(1e-9, clock.ElapsedSeconds());
  m.lr = LearningRate(*s.optimizer);
  if (data_.val_features.defined()) {
    auto [val_loss, val_accuracy] = Validate();
    m.val_loss = val_loss;
    m.val_accuracy = val_accuracy;
  }
  s.epoch = epoch;
  if (spec_.early_stopping) RecordValidation(m);
  s.history.push_back(m);
  return m;
}

std::pair<double, double> TrainingLoop::Validate() {
  torch::NoGradGuard no_grad;
  state_.net->eval();
  const auto options =
      F::CrossEntropyFuncOptions().weight(data_.class_weights).reduction(torch::kSum);
  const int64_t rows = data_.val_features.size(0);
  double loss_sum = 0;
  double weight_sum = 0;
  int64_t correct = 0;
  for (int64_t start = 0; start < rows; start += kValidationChunk) {
    int64_t end = std::min(rows, start + kValidationChunk);
    torch::Tensor x = data_.val_features.slice(0, start, end);
    torch::Tensor y = data_.val_labels.slice(0, start, end);
    torch::Tensor logits = state_.net->forward(x);
    loss_sum += F::cross_entropy(logits, y, options).item<double>();
    // The weighted mean divides by the weights of the rows' classes, as
    // cross_entropy's own mean reduction does.
    weight_sum += data_.class_weights.defined()
                      ? data_.class_weights.index_select(0, y).sum().item<double>()
                      : static_cast<double>(end - start);
    correct += logits.argmax(1).eq(y).sum().item<int64_t>();
  }
  state_.net->train();
  return {loss_sum / weight_sum, static_cast<double>(correct) / static_cast<double>(rows)};
}

void TrainingLoop::RecordValidation(const EpochMetrics& m) {
  TrainingState& s = state_;
  const EarlyStoppingSpec& es = *spec_.early_stopping;
  const bool lower_is_better = es.metric == "val_loss";
  const double value = lower_is_better ? *m.val_loss : *m.val_accuracy;
  // NaN never improves: comparisons with it are false.
  const bool improved = s.best_epoch == 0 ? std::isfinite(value)
                        : lower_is_better ? value < s.best_value - es.min_delta
                                          : value > s.best_value + es.min_delta;
  if (improved) {
    s.best_epoch = m.epoch;
    s.best_value = value;
    s.epochs_since_best = 0;
    s.best_weights.clear();
    for (const torch::Tensor& p : s.net->parameters()) {
      s.best_weights.push_back(p.detach().clone());
    }
    return;
  }
  if (++s.epochs_since_best >= es.patience) s.stopped_early = true;
}

void TrainingLoop::Finish() {
  TrainingState& s = state_;
  if (spec_.early_stopping && !s.best_weights.empty()) {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> params = s.net->parameters();
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(s.best_weights[i]);
  }
  s.net->eval();
}

Json TrainingLoop::EarlyStoppingJson() const {
  if (!spec_.early_stopping) return Json();
  Json j = EarlyStoppingSpecToJson(*spec_.early_stopping);
  j["stopped_early"] = state_.stopped_early;
  j["stopped_epoch"] = state_.epoch;
  j["best_epoch"] = state_.best_epoch;
  // A run whose every validation value was NaN has no best epoch.
  j["best_value"] = state_.best_epoch > 0 ? Json(state_.best_value) : Json();
  return j;
}

}  // namespace citadel::ml::internal
