// Parsing of a train step's training options: every bad field is an error
// that names the field and its line.
#include "ml/training/train_spec.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "base/text/yaml.h"

namespace citadel::ml {
namespace {

// A logreg step with five epochs plus `extra` (YAML lines indented by 4).
Result<TrainSpec> ParseStep(const std::string& extra) {
  std::string text =
      "steps:\n"
      "  - name: t\n"
      "    kind: train\n"
      "    model: { arch: logreg }\n"
      "    epochs: 5\n" +
      extra;
  auto doc = ParseYaml(text, "p.yaml");
  if (!doc.ok()) return doc.status();
  return ParseTrainSpec(SpecReader(*doc, "/steps/0"), {});
}

TEST(TrainSpecOptions, ParsesEveryTrainingOption) {
  auto spec = ParseStep(
      "    optimizer: { name: sgd, lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 0.001 }\n"
      "    lr_schedule: { name: step, step_size: 2, gamma: 0.5, warmup_epochs: 1 }\n"
      "    grad_clip: { max_norm: 1.5, max_value: 0.25 }\n"
      "    class_weights: [1, 2.5, 3]\n"
      "    validation: prepare.validation\n"
      "    early_stopping: { metric: val_accuracy, patience: 3, min_delta: 0.01 }\n");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->optimizer.name, "sgd");
  EXPECT_EQ(spec->optimizer.lr, 0.05);
  EXPECT_EQ(spec->optimizer.momentum, 0.9);
  EXPECT_TRUE(spec->optimizer.nesterov);
  EXPECT_EQ(spec->optimizer.weight_decay, 0.001);
  EXPECT_EQ(spec->lr_schedule.name, "step");
  EXPECT_EQ(spec->lr_schedule.step_size, 2);
  EXPECT_EQ(spec->lr_schedule.gamma, 0.5);
  EXPECT_EQ(spec->lr_schedule.warmup_epochs, 1);
  EXPECT_EQ(spec->grad_clip.max_norm, 1.5);
  EXPECT_EQ(spec->grad_clip.max_value, 0.25);
  EXPECT_EQ(spec->class_weights.values, (std::vector<double>{1, 2.5, 3}));
  ASSERT_TRUE(spec->early_stopping.has_value());
  EXPECT_EQ(spec->early_stopping->metric, "val_accuracy");
  EXPECT_EQ(spec->early_stopping->patience, 3);
  EXPECT_EQ(spec->early_stopping->min_delta, 0.01);
}

TEST(TrainSpecOptions, AdamWDefaultsToDecoupledWeightDecayAndAdamBetas) {
  auto spec = ParseStep(
      "    optimizer: { name: adamw, betas: [0.8, 0.99], eps: 1.0e-6 }\n"
      "    lr_schedule: { name: cosine, min_lr: 0.0001 }\n"
      "    class_weights: balanced\n");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->optimizer.lr, 1e-3);
  EXPECT_EQ(spec->optimizer.weight_decay, 0.01);
  EXPECT_EQ(spec->optimizer.beta1, 0.8);
  EXPECT_EQ(spec->optimizer.beta2, 0.99);
  EXPECT_EQ(spec->optimizer.eps, 1e-6);
  EXPECT_EQ(spec->lr_schedule.min_lr, 0.0001);
  EXPECT_TRUE(spec->class_weights.balanced);
  EXPECT_FALSE(spec->early_stopping.has_value());
  EXPECT_FALSE(spec->grad_clip.max_norm.has_value());
}

TEST(TrainSpecOptions, DefaultsLeaveEveryNewOptionOff) {
  auto spec = ParseStep("    optimizer: { name: adam, lr: 0.001 }\n");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->optimizer.weight_decay, 0.0);
  EXPECT_EQ(spec->lr_schedule.name, "constant");
  EXPECT_EQ(spec->lr_schedule.warmup_epochs, 0);
  EXPECT_FALSE(spec->grad_clip.max_norm || spec->grad_clip.max_value);
  EXPECT_FALSE(spec->class_weights.enabled());
  EXPECT_FALSE(spec->early_stopping.has_value());
}

TEST(TrainSpecOptions, OutOfDistributionDetectorIsOnByDefaultAndCanBeTunedOrOff) {
  auto spec = ParseStep("");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_TRUE(spec->ood.enabled);
  EXPECT_FALSE(spec->ood.requested);
  EXPECT_EQ(spec->ood.quantile, 0.99);
  spec = ParseStep("    ood: { quantile: 0.95 }\n");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_TRUE(spec->ood.enabled && spec->ood.requested);
  EXPECT_EQ(spec->ood.quantile, 0.95);
  spec = ParseStep("    ood: true\n");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_TRUE(spec->ood.enabled && spec->ood.requested);
  EXPECT_EQ(spec->ood.quantile, 0.99);
  spec = ParseStep("    ood: false\n");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_FALSE(spec->ood.enabled);
}

// A step with `model` and `extra` (YAML lines indented by 4).
Result<TrainSpec> ParseModelStep(const std::string& model, const std::string& extra) {
  auto doc = ParseYaml(
      "steps:\n  - name: t\n    kind: train\n    model: " + model + "\n" + extra, "p.yaml");
  if (!doc.ok()) return doc.status();
  return ParseTrainSpec(SpecReader(*doc, "/steps/0"), {});
}

TEST(TrainSpecOptions, TransformerDetectorIsOffByDefaultAndOnlyInThePenultimateSpace) {
  const auto parse = [](const std::string& extra) {
    return ParseModelStep("{ arch: transformer }", extra);
  };
  auto spec = parse("");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_FALSE(spec->ood.enabled);
  EXPECT_TRUE(parse("    ood: false\n").ok());
  auto asked = parse("    ood: { quantile: 0.9 }\n");
  ASSERT_TRUE(asked.ok()) << asked.status().ToString();
  EXPECT_TRUE(asked->ood.enabled && asked->ood.requested);
  EXPECT_EQ(asked->ood.space, FeatureSpace::kPenultimate);
  auto input = parse("    ood: { space: input_features }\n");
  ASSERT_FALSE(input.ok());
  EXPECT_NE(input.status().message().find("p.yaml:5: steps/0/ood: a transformer's input features "
                                          "are token ids"),
            std::string::npos)
      << input.status().ToString();
}

TEST(TrainSpecOptions, DetectorScoresInputFeaturesUnlessThePenultimateLayerIsAskedFor) {
  struct Case {
    std::string model;
    int64_t width;  // of the penultimate layer; 0: none
  };
  const Case cases[] = {
      {"{ arch: mlp, hidden: [32, 16] }", 16},
      {"{ arch: cnn, input_shape: [1, 28, 28], conv: [{ channels: 8, kernel: 3, pool: 2 }], "
       "hidden: [24] }",
       24},
      // No hidden layer: the conv blocks' flattened output, 8 × 14 × 14.
      {"{ arch: cnn, input_shape: [1, 28, 28], conv: [{ channels: 8, kernel: 3, pool: 2 }] }",
       8 * 14 * 14},
      {"{ arch: logreg }", 0},
  };
  for (const Case& c : cases) {
    auto spec = ParseModelStep(c.model, "");
    ASSERT_TRUE(spec.ok()) << c.model << ": " << spec.status().ToString();
    EXPECT_EQ(spec->ood.space, FeatureSpace::kInputFeatures) << c.model;
    EXPECT_EQ(PenultimateWidth(spec->model), c.width) << c.model;
    if (c.width == 0) continue;
    auto asked = ParseModelStep(c.model, "    ood: { space: penultimate }\n");
    ASSERT_TRUE(asked.ok()) << c.model << ": " << asked.status().ToString();
    EXPECT_EQ(asked->ood.space, FeatureSpace::kPenultimate) << c.model;
    EXPECT_TRUE(asked->ood.requested) << c.model;
  }
  auto logreg = ParseModelStep("{ arch: logreg }", "    ood: { space: penultimate }\n");
  ASSERT_FALSE(logreg.ok());
  EXPECT_NE(logreg.status().message().find(
                "p.yaml:5: steps/0/ood/space: a logreg model has no penultimate layer"),
            std::string::npos)
      << logreg.status().ToString();
}

TEST(TrainSpecOptions, RejectsEachBadFieldNamingItAndItsLine) {
  struct Case {
    std::string yaml;
    std::string field;    // the display pointer the error must name
    std::string message;  // a part of the message
  };
  const Case cases[] = {
      {"    optimizer: { name: rmsprop }\n", "steps/0/optimizer/name",
       "unknown optimizer 'rmsprop' (supported: sgd, adam, adamw)"},
      {"    optimizer: { name: sgd, nesterov: true }\n", "steps/0/optimizer/nesterov",
       "nesterov needs momentum > 0"},
      {"    optimizer: { name: sgd, momentum: 0, nesterov: true }\n", "steps/0/optimizer/nesterov",
       "nesterov needs momentum > 0"},
      {"    optimizer: { name: sgd, nesterov: yes please }\n", "steps/0/optimizer/nesterov",
       "expected true or false"},
      {"    optimizer: { name: sgd, betas: [0.9, 0.99] }\n", "steps/0/optimizer/betas",
       "betas applies to adam and adamw only"},
      {"    optimizer: { name: sgd, eps: 0.1 }\n", "steps/0/optimizer/eps",
       "eps applies to adam and adamw only"},
      {"    optimizer: { name: adamw, nesterov: true }\n", "steps/0/optimizer/nesterov",
       "nesterov applies to sgd only"},
      {"    optimizer: { name: adam, momentum: 0.9 }\n", "steps/0/optimizer/momentum",
       "momentum applies to sgd only"},
      {"    optimizer: { name: adam, betas: [0.9] }\n", "steps/0/optimizer/betas",
       "expected two numbers in [0, 1)"},
      {"    optimizer: { name: adam, betas: [0.9, 1.0] }\n", "steps/0/optimizer/betas",
       "expected two numbers in [0, 1)"},
      {"    optimizer: { name: adam, eps: 0 }\n", "steps/0/optimizer/eps", "expected a number in"},
      {"    optimizer: { name: adam, lr: 0 }\n", "steps/0/optimizer/lr", "expected a number in"},
      {"    optimizer: { name: adamw, weight_decay: 2 }\n", "steps/0/optimizer/weight_decay",
       "expected a number in [0, 1]"},
      {"    optimizer: { name: sgd, momentum: 1.5 }\n", "steps/0/optimizer/momentum",
       "expected a number in"},
      {"    lr_schedule: { name: linear }\n", "steps/0/lr_schedule/name",
       "unknown lr_schedule 'linear' (supported: constant, step, cosine)"},
      {"    lr_schedule: { name: step }\n", "steps/0/lr_schedule/step_size",
       "required field 'step_size' is missing"},
      {"    lr_schedule: { name: step, step_size: 0 }\n", "steps/0/lr_schedule/step_size",
       "expected an integer in [1,"},
      {"    lr_schedule: { name: step, step_size: 2, gamma: 1.5 }\n", "steps/0/lr_schedule/gamma",
       "expected a number in"},
      {"    lr_schedule: { name: cosine, gamma: 0.5 }\n", "steps/0/lr_schedule/gamma",
       "gamma applies to the step schedule only, not cosine"},
      {"    lr_schedule: { name: constant, min_lr: 0.1 }\n", "steps/0/lr_schedule/min_lr",
       "min_lr applies to the cosine schedule only"},
      {"    optimizer: { lr: 0.01 }\n    lr_schedule: { name: cosine, min_lr: 0.01 }\n",
       "steps/0/lr_schedule/min_lr", "min_lr 0.01 must be below the optimizer's lr 0.01"},
      {"    lr_schedule: { warmup_epochs: 5 }\n", "steps/0/lr_schedule/warmup_epochs",
       "expected an integer in [0, 4]"},
      {"    lr_schedule: { name: step, step_size: 1, decay: 2 }\n", "steps/0/lr_schedule/decay",
       "unknown field 'decay'"},
      {"    grad_clip: {}\n", "steps/0/grad_clip", "grad_clip needs max_norm"},
      {"    grad_clip: { max_norm: -1 }\n", "steps/0/grad_clip/max_norm", "expected a number in"},
      {"    grad_clip: { max_value: 0 }\n", "steps/0/grad_clip/max_value", "expected a number in"},
      {"    grad_clip: { norm: 1 }\n", "steps/0/grad_clip/norm", "unknown field 'norm'"},
      {"    class_weights: uniform\n", "steps/0/class_weights",
       "expected 'balanced' or a list of one positive weight per class"},
      {"    class_weights: []\n", "steps/0/class_weights", "expected 'balanced' or a list"},
      {"    class_weights: [1, 0, 2]\n", "steps/0/class_weights/1",
       "class weight 1 must be a positive number"},
      {"    early_stopping: { patience: 3 }\n", "steps/0/early_stopping",
       "early_stopping needs a validation dataset"},
      {"    validation: v.x\n    early_stopping: { metric: f1 }\n", "steps/0/early_stopping/metric",
       "unknown early_stopping metric 'f1'"},
      {"    validation: v.x\n    early_stopping: { patience: 0 }\n",
       "steps/0/early_stopping/patience", "expected an integer in [1,"},
      {"    validation: v.x\n    early_stopping: { min_delta: -0.1 }\n",
       "steps/0/early_stopping/min_delta", "expected a number in"},
      {"    validation: 3\n", "steps/0/validation", "expected a string"},
      {"    ood: { quantile: 0.3 }\n", "steps/0/ood/quantile", "expected a number in [0.5, 1]"},
      {"    ood: { threshold: 3 }\n", "steps/0/ood/threshold", "unknown field 'threshold'"},
      {"    ood: 0.99\n", "steps/0/ood", "expected false, true or { quantile: Q, space: S }"},
      {"    ood: { space: hidden }\n", "steps/0/ood/space", "unknown space 'hidden'"},
  };
  for (const Case& c : cases) {
    auto spec = ParseStep(c.yaml);
    ASSERT_FALSE(spec.ok()) << c.yaml;
    EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument) << c.yaml;
    const std::string message = spec.status().message();
    // The bad field is on the case's last line; the step's own lines are 2–5.
    const std::string where =
        "p.yaml:" + std::to_string(5 + std::count(c.yaml.begin(), c.yaml.end(), '\n')) + ":";
    EXPECT_NE(message.find(where), std::string::npos) << c.yaml << " → " << message;
    EXPECT_NE(message.find(c.field + ": "), std::string::npos) << c.yaml << " → " << message;
    EXPECT_NE(message.find(c.message), std::string::npos) << c.yaml << " → " << message;
  }
}

}  // namespace
}  // namespace citadel::ml
