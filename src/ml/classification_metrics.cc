#include "ml/classification_metrics.h"

namespace citadel::ml {

ClassificationMetrics ComputeClassificationMetrics(std::span<const int64_t> truth,
                                                   std::span<const int64_t> predicted,
                                                   int64_t num_classes) {
  ClassificationMetrics m;
  const size_t k = static_cast<size_t>(num_classes);
  m.confusion.assign(k, std::vector<int64_t>(k, 0));
  m.samples = static_cast<int64_t>(truth.size());
  int64_t correct = 0;
  for (size_t i = 0; i < truth.size() && i < predicted.size(); ++i) {
    if (truth[i] < 0 || truth[i] >= num_classes || predicted[i] < 0 || predicted[i] >= num_classes)
      continue;
    m.confusion[static_cast<size_t>(truth[i])][static_cast<size_t>(predicted[i])]++;
    if (truth[i] == predicted[i]) ++correct;
  }
  m.accuracy = m.samples > 0 ? static_cast<double>(correct) / static_cast<double>(m.samples) : 0.0;
  m.precision.assign(k, 0);
  m.recall.assign(k, 0);
  m.f1.assign(k, 0);
  m.support.assign(k, 0);
  for (size_t c = 0; c < k; ++c) {
    int64_t tp = m.confusion[c][c];
    int64_t predicted_c = 0, actual_c = 0;
    for (size_t o = 0; o < k; ++o) {
      predicted_c += m.confusion[o][c];
      actual_c += m.confusion[c][o];
    }
    m.support[c] = actual_c;
    m.precision[c] =
        predicted_c > 0 ? static_cast<double>(tp) / static_cast<double>(predicted_c) : 0.0;
    m.recall[c] = actual_c > 0 ? static_cast<double>(tp) / static_cast<double>(actual_c) : 0.0;
    double denominator = m.precision[c] + m.recall[c];
    m.f1[c] = denominator > 0 ? 2 * m.precision[c] * m.recall[c] / denominator : 0.0;
    m.macro_precision += m.precision[c];
    m.macro_recall += m.recall[c];
    m.macro_f1 += m.f1[c];
  }
  if (k > 0) {
    m.macro_precision /= static_cast<double>(k);
    m.macro_recall /= static_cast<double>(k);
    m.macro_f1 /= static_cast<double>(k);
  }
  return m;
}

Json MetricsToJson(const ClassificationMetrics& m, const std::vector<std::string>& classes) {
  Json per_class = Json::array();
  for (size_t c = 0; c < m.support.size(); ++c) {
    per_class.push_back({{"class", c < classes.size() ? classes[c] : std::to_string(c)},
                         {"precision", m.precision[c]},
                         {"recall", m.recall[c]},
                         {"f1", m.f1[c]},
                         {"support", m.support[c]}});
  }
  return {{"format", "citadel.report.classification/v1"},
          {"samples", m.samples},
          {"metrics",
           {{"accuracy", m.accuracy},
            {"macro_precision", m.macro_precision},
            {"macro_recall", m.macro_recall},
            {"macro_f1", m.macro_f1}}},
          {"classes", classes},
          {"per_class", per_class},
          {"confusion_matrix",
           {{"rows", "true class"}, {"columns", "predicted class"}, {"counts", m.confusion}}}};
}

}  // namespace citadel::ml
