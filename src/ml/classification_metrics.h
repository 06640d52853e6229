// Classification quality from true and predicted class indices. Pure C++,
// no torch. Macro averages follow scikit-learn with zero_division=0: a class
// never predicted has precision 0, a class absent from the truth recall 0.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/text/json.h"

namespace citadel::ml {

struct ClassificationMetrics {
  int64_t samples = 0;
  double accuracy = 0;
  double macro_precision = 0;
  double macro_recall = 0;
  double macro_f1 = 0;
  std::vector<double> precision, recall, f1;    // per class
  std::vector<int64_t> support;                 // true count per class
  std::vector<std::vector<int64_t>> confusion;  // [true][predicted]
};

ClassificationMetrics ComputeClassificationMetrics(std::span<const int64_t> truth,
                                                   std::span<const int64_t> predicted,
                                                   int64_t num_classes);

// The report artifact's JSON (docs/formats/report.md).
Json MetricsToJson(const ClassificationMetrics& m, const std::vector<std::string>& classes);

}  // namespace citadel::ml
