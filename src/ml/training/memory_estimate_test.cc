#include "ml/training/memory_estimate.h"

#include <gtest/gtest.h>

namespace citadel::ml {
namespace {

TEST(TrainingMemory, CountsTheParametersOfEachArchitecture) {
  ModelSpec logreg;
  logreg.arch = "logreg";
  EXPECT_EQ(CountParameters(logreg, 64, 10), 64u * 10 + 10);
  ModelSpec mlp;
  mlp.hidden = {128, 64};
  EXPECT_EQ(CountParameters(mlp, 64, 10), (64u * 128 + 128) + (128u * 64 + 64) + (64u * 10 + 10));
}

TEST(TrainingMemory, AddsDataModelOptimizerAndOneBatchByHand) {
  TrainSpec spec;
  spec.model.arch = "mlp";
  spec.model.hidden = {8};
  spec.optimizer.name = "adam";
  spec.batch_size = 16;
  // 4 features, 3 classes: 4·8+8 + 8·3+3 = 67 parameters.
  TrainingMemory m = EstimateTrainingMemory(spec, 4, 3, 1000);
  EXPECT_EQ(m.data, 2000u);
  EXPECT_EQ(m.model, 67u * 4 * 4);  // weights, gradients, two Adam moments
  EXPECT_EQ(m.activations, 2u * (4 + 3 + 2 * 8) * 16 * 4);
  EXPECT_EQ(m.total(), m.data + m.model + m.activations);

  spec.optimizer.name = "sgd";
  EXPECT_EQ(EstimateTrainingMemory(spec, 4, 3, 1000).model, 67u * 2 * 4);
  spec.optimizer.momentum = 0.9;
  spec.early_stopping = EarlyStoppingSpec{};
  EXPECT_EQ(EstimateTrainingMemory(spec, 4, 3, 1000).model, 67u * 4 * 4);  // + buffer + best copy
}

}  // namespace
}  // namespace citadel::ml
