// Factories for the built-in step kinds; FindStepRunner() is the registry.
#pragma once

#include <memory>

#include "workload/pipeline/step_runner.h"

namespace citadel::workload::steps {

std::unique_ptr<StepRunner> MakeProcessStep();   // CSV → dataset splits
std::unique_ptr<StepRunner> MakeTrainStep();     // dataset → model
std::unique_ptr<StepRunner> MakeEvaluateStep();  // model + dataset → report
std::unique_ptr<StepRunner> MakePredictStep();   // model + dataset → predictions
std::unique_ptr<StepRunner> MakeRegisterStep();  // model → registry version (+ aliases)

// Shared by the steps that take a model and a dataset: reads the two refs.
Result<StepPlan> PlanModelAndDataset(const SpecReader& step,
                                     std::initializer_list<std::string_view> extra_known);

}  // namespace citadel::workload::steps
