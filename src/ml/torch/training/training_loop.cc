// TrainingLoop: one epoch at a time, validation and early stopping
// (training_loop.h).
#include "ml/torch/training/training_loop.h"

#include <fmt/format.h>

#include <cmath>
#include <csignal>

#include "base/time.h"
#include "ml/torch/network.h"
#include "ml/torch/training/gloo_group.h"
#include "ml/torch/training/optimizers.h"
#include "ml/training/lr_schedule.h"

namespace citadel::ml::internal {
namespace {

namespace F = torch::nn::functional;

// Validation runs in chunks so that a large validation set does not hold
// all of its activations at once; the chunk size is fixed, so the sums (and
// the early-stopping decisions made on them) are deterministic.
constexpr int64_t kValidationChunk = 2048;

// Rows whose largest logit is at their label, with torch.argmax's rules
// (ties: the first; a NaN counts as the largest, the first NaN wins). A plain
// loop: four tensor operations per batch cost more than the work.
int64_t CountCorrect(const torch::Tensor& logits, const torch::Tensor& labels) {
  const torch::Tensor l = logits.detach().contiguous();
  const torch::Tensor y = labels.contiguous();
  const int64_t rows = l.size(0), classes = l.size(1);
  const float* x = l.data_ptr<float>();
  const int64_t* label = y.data_ptr<int64_t>();
  int64_t correct = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * classes;
    int64_t best = 0;
    for (int64_t c = 1; c < classes; ++c) {
      if (std::isnan(row[best])) break;
      if (std::isnan(row[c]) || row[c] > row[best]) best = c;
    }
    correct += best == label[r];
  }
  return correct;
}

}  // namespace

TrainingLoop::TrainingLoop(const TrainSpec& spec, TrainingData data)
    : spec_(spec), data_(std::move(data)) {}

Result<std::unique_ptr<TrainingLoop>> TrainingLoop::Start(const TrainSpec& spec, TrainingData data,
                                                          int64_t classes) {
  std::unique_ptr<TrainingLoop> loop(new TrainingLoop(spec, std::move(data)));
  TrainingState& s = loop->state_;
  torch::manual_seed(spec.seed);
  ASSIGN_OR_RETURN(s.net, BuildNetwork(spec.model, loop->data_.features.size(1), classes));
  s.optimizer = MakeOptimizer(spec.optimizer, s.net->Parameters());
  // Data order comes from our own seeded generator so that it is the same on
  // every platform and independent of torch's global RNG consumption.
  s.order_rng = SeededRng(spec.seed ^ 0x9e3779b97f4a7c15ull);
  const int64_t rows = loop->data_.features.size(0);
  s.order.resize(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) s.order[static_cast<size_t>(i)] = i;
  return loop;
}

bool TrainingLoop::Done() const { return state_.stopped_early || state_.epoch >= spec_.epochs; }

int64_t TrainingLoop::BatchesPerEpoch() const {
  const int64_t rows = data_.features.size(0);
  return (rows + spec_.batch_size - 1) / spec_.batch_size;
}

Result<EpochMetrics> TrainingLoop::RunEpoch(const std::function<void(const StepProgress&)>& on_step,
                                            const std::function<Status()>& between_steps) {
  TrainingState& s = state_;
  const int64_t epoch = s.epoch + 1;
  const int64_t rows = data_.features.size(0);
  Stopwatch clock;
  SetLearningRate(*s.optimizer,
                  LearningRateAt(spec_.lr_schedule, spec_.optimizer.lr, spec_.epochs, epoch));
  if (s.next_sample == 0) {
    s.order_rng.Shuffle(s.order);
    s.epoch_loss_sum = 0;
    s.epoch_correct = 0;
    s.epoch_seconds = 0;
  }
  const int64_t resumed_at = s.next_sample;
  torch::Tensor perm = torch::from_blob(s.order.data(), {rows}, torch::kInt64);
  const int64_t batches = BatchesPerEpoch();

  s.net->SetTraining(true);
  for (int64_t start = s.next_sample; start < rows; start += spec_.batch_size) {
    int64_t end = std::min(rows, start + spec_.batch_size);
    torch::Tensor index = perm.slice(0, start, end);
    ASSIGN_OR_RETURN(double loss_value, group_ != nullptr ? DistributedStep(index, epoch, start)
                                                          : Step(index, epoch, start));
    ++s.step;
    s.next_sample = end;
    if (on_step) {
      StepProgress p;
      p.step = s.step;
      p.total_steps = batches * spec_.epochs;
      p.epoch = epoch;
      p.batch = (end + spec_.batch_size - 1) / spec_.batch_size;
      p.batches = batches;
      p.loss = loss_value;
      p.samples_per_second =
          static_cast<double>(end - resumed_at) / std::max(1e-9, clock.ElapsedSeconds());
      on_step(p);
    }
    if (end < rows && between_steps) {
      Status status = between_steps();
      if (!status.ok()) {
        s.epoch_seconds += clock.ElapsedSeconds();
        return status;
      }
    }
  }

  EpochMetrics m;
  m.epoch = epoch;
  m.loss = s.epoch_loss_sum / static_cast<double>(rows);
  m.accuracy = static_cast<double>(s.epoch_correct) / static_cast<double>(rows);
  m.samples_per_second =
      static_cast<double>(rows) / std::max(1e-9, s.epoch_seconds + clock.ElapsedSeconds());
  m.lr = LearningRate(*s.optimizer);
  // Ranks validate on their own: with the same weights and statistics they
  // reach the same early-stopping decisions without talking.
  if (group_ != nullptr) AverageBuffers();
  if (data_.val_features.defined()) {
    auto [val_loss, val_accuracy] = Validate();
    m.val_loss = val_loss;
    m.val_accuracy = val_accuracy;
  }
  s.epoch = epoch;
  s.next_sample = 0;
  if (spec_.early_stopping) RecordValidation(m);
  s.history.push_back(m);
  return m;
}

Status TrainingLoop::Diverged(int64_t epoch, int64_t start, double loss) const {
  return FailedPreconditionError(fmt::format(
      "training diverged at epoch {}, step {} (batch starting at sample {}): loss is {}; "
      "lower the learning rate, clip gradients (grad_clip) or check the data for extreme "
      "values",
      epoch, state_.step + 1, start, loss));
}

Result<double> TrainingLoop::Step(const torch::Tensor& index, int64_t epoch, int64_t start) {
  TrainingState& s = state_;
  const auto loss_options = F::CrossEntropyFuncOptions().weight(data_.class_weights);
  torch::Tensor x = data_.features.index_select(0, index);
  torch::Tensor y = data_.labels.index_select(0, index);
  s.optimizer->zero_grad();
  torch::Tensor logits = s.net->Forward(x);
  torch::Tensor loss = F::cross_entropy(logits, y, loss_options);
  double loss_value = loss.item<double>();
  if (!std::isfinite(loss_value)) return Diverged(epoch, start, loss_value);
  loss.backward();
  if (spec_.grad_clip.max_norm || spec_.grad_clip.max_value) {
    ClipGradients(spec_.grad_clip, s.net->Parameters());
  }
  StepOptimizer(spec_.optimizer, *s.optimizer);
  s.epoch_loss_sum += loss_value * static_cast<double>(index.size(0));
  s.epoch_correct += CountCorrect(logits, y);
  return loss_value;
}

Result<double> TrainingLoop::DistributedStep(const torch::Tensor& index, int64_t epoch,
                                             int64_t start) {
  TrainingState& s = state_;
  const int64_t n = index.size(0);
  const int64_t world = group_->world_size(), rank = group_->rank();
  const int64_t lo = n * rank / world, hi = n * (rank + 1) / world;
  const torch::Tensor y_all = data_.labels.index_select(0, index);
  // The loss is normalised by the whole global batch, as one process would.
  const double denominator = data_.class_weights.defined()
                                 ? data_.class_weights.index_select(0, y_all).sum().item<double>()
                                 : static_cast<double>(n);
  // Dropout masks: per rank and step, so a resumed group draws the same ones.
  uint64_t seed = spec_.seed ^ (0x9e3779b97f4a7c15ull * static_cast<uint64_t>(s.step + 1));
  seed ^= 0xbf58476d1ce4e5b9ull * static_cast<uint64_t>(rank + 1);
  torch::manual_seed(seed ^ (seed >> 31));

  s.optimizer->zero_grad();
  double local_loss = 0;
  int64_t local_correct = 0;
  if (hi > lo) {
    torch::Tensor x = data_.features.index_select(0, index.slice(0, lo, hi));
    torch::Tensor y = y_all.slice(0, lo, hi);
    torch::Tensor logits = s.net->Forward(x);
    torch::Tensor loss_sum = F::cross_entropy(
        logits, y, F::CrossEntropyFuncOptions().weight(data_.class_weights).reduction(torch::kSum));
    (loss_sum / denominator).backward();
    local_loss = loss_sum.item<double>();
    local_correct = CountCorrect(logits, y);
  }
  // One buffer, one all-reduce: every gradient, then loss, correct, stop.
  const std::vector<torch::Tensor> params = s.net->Parameters();
  std::vector<torch::Tensor> pieces;
  for (const torch::Tensor& p : params) {
    pieces.push_back(p.grad().defined() ? p.grad().reshape(-1) : torch::zeros({p.numel()}));
  }
  const int local_stop = interrupt_ != nullptr ? interrupt_->load() : 0;
  pieces.push_back(torch::tensor({static_cast<float>(local_loss), static_cast<float>(local_correct),
                                  static_cast<float>(local_stop)}));
  torch::Tensor flat = torch::cat(pieces);
  group_->AllReduceSum(flat);
  int64_t offset = 0;
  {
    torch::NoGradGuard no_grad;
    for (const torch::Tensor& p : params) {
      torch::Tensor g = flat.slice(0, offset, offset + p.numel()).view_as(p);
      if (p.grad().defined()) {
        p.mutable_grad().copy_(g);
      } else {
        p.mutable_grad() = g.clone();
      }
      offset += p.numel();
    }
  }
  const double loss_value = flat[offset].item<double>() / denominator;
  if (!std::isfinite(loss_value)) return Diverged(epoch, start, loss_value);
  ClipGradients(spec_.grad_clip, params);
  StepOptimizer(spec_.optimizer, *s.optimizer);
  s.epoch_loss_sum += loss_value * static_cast<double>(n);
  s.epoch_correct += static_cast<int64_t>(std::llround(flat[offset + 1].item<double>()));
  // Any rank's request stops every rank (the value is a sum of signals).
  group_stop_ = flat[offset + 2].item<float>() > 0 ? (local_stop != 0 ? local_stop : SIGTERM) : 0;
  return loss_value;
}

void TrainingLoop::AverageBuffers() {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> floats;
  for (const NamedTensor& b : state_.net->NamedBuffers()) {
    if (b.tensor.scalar_type() == torch::kFloat32) floats.push_back(b.tensor);
  }
  if (floats.empty()) return;
  std::vector<torch::Tensor> flat_pieces;
  for (const torch::Tensor& b : floats) flat_pieces.push_back(b.reshape(-1));
  torch::Tensor flat = torch::cat(flat_pieces);
  group_->AllReduceSum(flat);
  flat.div_(static_cast<double>(group_->world_size()));
  int64_t offset = 0;
  for (torch::Tensor& b : floats) {
    b.copy_(flat.slice(0, offset, offset + b.numel()).view_as(b));
    offset += b.numel();
  }
}

bool TrainingLoop::IsRankZero() const { return group_ == nullptr || group_->rank() == 0; }

int TrainingLoop::StopSignal() const {
  if (group_ != nullptr) return group_stop_;
  return interrupt_ != nullptr ? interrupt_->load() : 0;
}

Status TrainingLoop::CheckFinite() const {
  torch::NoGradGuard no_grad;
  for (const NamedTensor& item : state_.net->NamedParameters()) {
    if (!torch::isfinite(item.tensor).all().item<bool>()) {
      return FailedPreconditionError(fmt::format(
          "training diverged at epoch {}, step {}: parameter {} has NaN or infinite values; "
          "lower the learning rate, clip gradients (grad_clip) or check the data for extreme "
          "values",
          state_.epoch + 1, state_.step, item.name));
    }
  }
  return Status::Ok();
}

std::pair<double, double> TrainingLoop::Validate() {
  torch::NoGradGuard no_grad;
  state_.net->SetTraining(false);
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
    torch::Tensor logits = state_.net->Forward(x);
    loss_sum += F::cross_entropy(logits, y, options).item<double>();
    // The weighted mean divides by the weights of the rows' classes, as
    // cross_entropy's own mean reduction does.
    weight_sum += data_.class_weights.defined()
                      ? data_.class_weights.index_select(0, y).sum().item<double>()
                      : static_cast<double>(end - start);
    correct += CountCorrect(logits, y);
  }
  state_.net->SetTraining(true);
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
    for (const torch::Tensor& p : s.net->Parameters()) {
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
    std::vector<torch::Tensor> params = s.net->Parameters();
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(s.best_weights[i]);
  }
  s.net->SetTraining(false);
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
