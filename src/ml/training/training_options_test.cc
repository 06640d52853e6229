// Optimizers, learning-rate schedules and gradient clipping, checked against
// the update rules computed by hand: most tests take a single full-batch
// step from the seeded initial weights and compare the parameter change.
#include <gtest/gtest.h>

#include <cmath>

#include "ml/test_datasets.h"
#include "ml/training/trainer.h"

namespace citadel::ml {
namespace {

using testing::Blobs;
using testing::TensorValues;

constexpr int kRows = 60;

// Logistic regression, one epoch of one full batch: one optimizer step.
TrainSpec OneStep(const std::string& optimizer, double lr) {
  TrainSpec s;
  s.model.arch = "logreg";
  s.optimizer.name = optimizer;
  s.optimizer.lr = lr;
  s.epochs = 1;
  s.batch_size = kRows;
  s.seed = 11;
  return s;
}

// All parameters of a trained logreg, weight then bias.
std::vector<float> Weights(const TrainSpec& spec) {
  auto model = Train(spec, Blobs(kRows, 4), nullptr);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  if (!model.ok()) return {};
  std::vector<float> w = TensorValues<float>(model->safetensors, "0.weight");
  std::vector<float> b = TensorValues<float>(model->safetensors, "0.bias");
  w.insert(w.end(), b.begin(), b.end());
  return w;
}

// The seeded initial parameters: a step of 1e-12 moves none of them by a
// representable amount at their magnitude, so this is the network before training.
std::vector<float> InitialWeights() { return Weights(OneStep("sgd", 1e-12)); }

std::vector<double> Delta(const std::vector<float>& after, const std::vector<float>& before) {
  std::vector<double> d;
  for (size_t i = 0; i < after.size(); ++i) d.push_back(double(after[i]) - double(before[i]));
  return d;
}

double Norm(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x * x;
  return std::sqrt(sum);
}

TEST(Optimizers, NesterovFirstStepIsOnePlusMomentumTimesThePlainStep) {
  // Step 1 of SGD with momentum μ: the buffer is g; Nesterov steps along
  // g + μ·buffer = (1 + μ)·g, plain momentum along the buffer g itself.
  const std::vector<float> p0 = InitialWeights();
  const std::vector<double> plain = Delta(Weights(OneStep("sgd", 0.1)), p0);
  TrainSpec momentum = OneStep("sgd", 0.1);
  momentum.optimizer.momentum = 0.9;
  const std::vector<double> heavy_ball = Delta(Weights(momentum), p0);
  momentum.optimizer.nesterov = true;
  const std::vector<double> nesterov = Delta(Weights(momentum), p0);
  ASSERT_EQ(plain.size(), 15u);  // 4 features × 3 classes + 3 biases
  ASSERT_EQ(nesterov.size(), plain.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_NEAR(heavy_ball[i], plain[i], 1e-6) << i;
    EXPECT_NEAR(nesterov[i], 1.9 * plain[i], 1e-6) << i;
  }
  EXPECT_GT(Norm(plain), 1e-3) << "the step must be large enough to tell the rules apart";
}

TEST(Optimizers, AdamWDecaysWeightsOutsideTheAdaptiveStep) {
  // Adam's first step moves each parameter by lr · m̂/(√v̂ + eps) = ±lr.
  // AdamW first multiplies the parameter by (1 − lr·wd); Adam instead adds
  // wd·p to the gradient, which leaves the step ±lr.
  const double lr = 0.01;
  const double wd = 0.5;
  const std::vector<float> p0 = InitialWeights();
  TrainSpec adamw = OneStep("adamw", lr);
  adamw.optimizer.weight_decay = wd;
  const std::vector<float> p_adamw = Weights(adamw);
  TrainSpec adam = OneStep("adam", lr);
  adam.optimizer.weight_decay = wd;
  const std::vector<float> p_adam = Weights(adam);
  ASSERT_EQ(p_adamw.size(), p0.size());
  double largest_decay = 0;
  for (size_t i = 0; i < p0.size(); ++i) {
    const double decayed = double(p0[i]) * (1.0 - lr * wd);
    EXPECT_NEAR(std::abs(double(p_adamw[i]) - decayed), lr, 1e-5) << i;
    EXPECT_NEAR(std::abs(double(p_adam[i]) - double(p0[i])), lr, 1e-5) << i;
    largest_decay = std::max(largest_decay, std::abs(double(p0[i]) * lr * wd));
  }
  EXPECT_GT(largest_decay, 1e-4) << "the decay must exceed the tolerance to be observed";
}

// Five full-batch steps of logistic regression, recomputed in double with
// the textbook update: bias-corrected moments, L2 (adam) or decoupled
// (adamw) weight decay. The trainer's fused Adam must agree to float
// rounding, step count and bias correction included.
std::vector<double> TextbookAdam(const std::string& name, double lr, double wd, int steps) {
  const DatasetView data = Blobs(kRows, 4);
  const std::vector<float> x = TensorValues<float>(data.safetensors, "features");
  const std::vector<int64_t> y = TensorValues<int64_t>(data.safetensors, "labels");
  const std::vector<float> init = InitialWeights();
  std::vector<double> w(init.begin(), init.end());  // 3×4 weights, then 3 biases
  std::vector<double> m(w.size(), 0), v(w.size(), 0);
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
  for (int t = 1; t <= steps; ++t) {
    std::vector<double> g(w.size(), 0);
    for (int r = 0; r < kRows; ++r) {
      double logits[3], max = -1e300, sum = 0;
      for (int c = 0; c < 3; ++c) {
        logits[c] = w[12 + c];
        for (int f = 0; f < 4; ++f) logits[c] += w[c * 4 + f] * x[r * 4 + f];
        max = std::max(max, logits[c]);
      }
      for (double& l : logits) sum += std::exp(l - max);
      for (int c = 0; c < 3; ++c) {
        const double d = (std::exp(logits[c] - max) / sum - (y[r] == c ? 1 : 0)) / kRows;
        for (int f = 0; f < 4; ++f) g[c * 4 + f] += d * x[r * 4 + f];
        g[12 + c] += d;
      }
    }
    for (size_t i = 0; i < w.size(); ++i) {
      if (name == "adamw") w[i] *= 1 - lr * wd;
      const double grad = g[i] + (name == "adam" ? wd * w[i] : 0);
      m[i] = b1 * m[i] + (1 - b1) * grad;
      v[i] = b2 * v[i] + (1 - b2) * grad * grad;
      const double m_hat = m[i] / (1 - std::pow(b1, t));
      const double v_hat = v[i] / (1 - std::pow(b2, t));
      w[i] -= lr * m_hat / (std::sqrt(v_hat) + eps);
    }
  }
  return w;
}

TEST(Optimizers, AdamAndAdamWMatchTheTextbookUpdateOverSeveralSteps) {
  for (const std::string name : {"adam", "adamw"}) {
    for (double wd : {0.0, 0.1}) {
      TrainSpec spec = OneStep(name, 0.05);
      spec.optimizer.weight_decay = wd;
      spec.epochs = 5;
      const std::vector<float> got = Weights(spec);
      const std::vector<double> want = TextbookAdam(name, 0.05, wd, 5);
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_NEAR(got[i], want[i], 2e-5) << name << " wd " << wd << " parameter " << i;
      }
    }
  }
}

TEST(GradClip, MaxNormBoundsTheTotalNormOfTheUpdate) {
  // Plain SGD: the update is −lr·g, so its norm is lr·‖g‖ and clipping the
  // gradient to max_norm bounds it by lr·max_norm, keeping its direction.
  const std::vector<float> p0 = InitialWeights();
  const std::vector<double> free = Delta(Weights(OneStep("sgd", 10.0)), p0);
  TrainSpec clipped = OneStep("sgd", 10.0);
  clipped.grad_clip.max_norm = 0.05;
  const std::vector<double> bounded = Delta(Weights(clipped), p0);
  ASSERT_GT(Norm(free), 2 * 10.0 * 0.05) << "the unclipped gradient must exceed max_norm";
  EXPECT_LE(Norm(bounded), 10.0 * 0.05 * (1 + 1e-4));
  EXPECT_GE(Norm(bounded), 10.0 * 0.05 * (1 - 1e-3));
  double dot = 0;
  for (size_t i = 0; i < free.size(); ++i) dot += free[i] * bounded[i];
  EXPECT_NEAR(dot / (Norm(free) * Norm(bounded)), 1.0, 1e-5);
}

TEST(GradClip, MaxValueBoundsEveryElementOfTheUpdate) {
  const std::vector<float> p0 = InitialWeights();
  const std::vector<double> free = Delta(Weights(OneStep("sgd", 10.0)), p0);
  TrainSpec clipped = OneStep("sgd", 10.0);
  clipped.grad_clip.max_value = 0.01;
  const std::vector<double> bounded = Delta(Weights(clipped), p0);
  double largest_free = 0;
  double largest = 0;
  for (size_t i = 0; i < bounded.size(); ++i) {
    largest_free = std::max(largest_free, std::abs(free[i]));
    largest = std::max(largest, std::abs(bounded[i]));
    EXPECT_LE(std::abs(bounded[i]), 10.0 * 0.01 + 1e-6) << i;
  }
  ASSERT_GT(largest_free, 2 * 10.0 * 0.01) << "some gradient element must exceed max_value";
  EXPECT_NEAR(largest, 10.0 * 0.01, 1e-6);
}

TEST(LrSchedule, EpochRatesFollowTheDocumentedFormulas) {
  struct Case {
    std::string name;
    LrScheduleSpec schedule;
    int64_t epochs;
    std::vector<double> expected;  // lr = 0.1, worked out by hand
  };
  LrScheduleSpec warm_constant;
  warm_constant.warmup_epochs = 4;
  LrScheduleSpec warm_step;
  warm_step.name = "step";
  warm_step.step_size = 3;
  warm_step.gamma = 0.5;
  warm_step.warmup_epochs = 2;
  LrScheduleSpec warm_cosine;
  warm_cosine.name = "cosine";
  warm_cosine.warmup_epochs = 1;
  LrScheduleSpec cosine_floor;
  cosine_floor.name = "cosine";
  cosine_floor.min_lr = 0.02;
  const double half_sqrt2 = std::sqrt(0.5);  // cos(π/4)
  const Case cases[] = {
      {"constant after 4 warm-up epochs", warm_constant, 6, {0.025, 0.05, 0.075, 0.1, 0.1, 0.1}},
      {"step of 3 epochs, gamma 0.5, after 2 warm-up epochs",
       warm_step,
       10,
       {0.05, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025}},
      // D = 4 epochs after warm-up: cos(0), cos(π/4), cos(π/2), cos(3π/4).
      {"cosine to 0 after 1 warm-up epoch",
       warm_cosine,
       5,
       {0.1, 0.1, 0.05 * (1 + half_sqrt2), 0.05, 0.05 * (1 - half_sqrt2)}},
      // D = 3: 0.02 + 0.08·(1 + cos(kπ/3))/2 = 0.1, 0.08, 0.04.
      {"cosine to min_lr 0.02", cosine_floor, 3, {0.1, 0.08, 0.04}},
  };
  for (const Case& c : cases) {
    TrainSpec spec = OneStep("sgd", 0.1);
    spec.lr_schedule = c.schedule;
    spec.epochs = c.epochs;
    std::vector<double> rates;
    auto model = Train(spec, Blobs(kRows, 4), [&](const EpochMetrics& m) {
      rates.push_back(m.lr);
      return Status::Ok();
    });
    ASSERT_TRUE(model.ok()) << c.name << ": " << model.status().ToString();
    ASSERT_EQ(rates.size(), c.expected.size()) << c.name;
    for (size_t i = 0; i < rates.size(); ++i) {
      EXPECT_NEAR(rates[i], c.expected[i], 1e-12) << c.name << ", epoch " << i + 1;
    }
  }
}

TEST(LrSchedule, ScheduledRateIsTheOneTheOptimizerSteps) {
  // Epoch 2 of a step schedule with gamma 1e-12 runs at 1e-13: two epochs
  // must leave the weights where one epoch put them, while without the decay
  // the second epoch moves them visibly.
  const std::vector<float> one_epoch = Weights(OneStep("sgd", 0.1));
  TrainSpec decayed = OneStep("sgd", 0.1);
  decayed.epochs = 2;
  decayed.lr_schedule.name = "step";
  decayed.lr_schedule.step_size = 1;
  decayed.lr_schedule.gamma = 1e-12;
  TrainSpec undecayed = decayed;
  undecayed.lr_schedule.gamma = 1.0;
  const std::vector<double> frozen = Delta(Weights(decayed), one_epoch);
  const std::vector<double> moved = Delta(Weights(undecayed), one_epoch);
  EXPECT_LT(Norm(frozen), 1e-6);
  EXPECT_GT(Norm(moved), 1e-3);
}

}  // namespace
}  // namespace citadel::ml
