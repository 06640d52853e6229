#include <fmt/format.h>

#include <algorithm>

#include "ml/classification_metrics.h"
#include "ml/torch/tensors.h"
#include "ml/torch/torch_runtime.h"

namespace citadel::ml {

namespace {

struct Scored {
  internal::DatasetTensors data;
  std::vector<float> probabilities;
  std::vector<double> ood_scores;  // one per row; none without a detector
  std::vector<int64_t> predicted;
};

Result<Scored> Score(const InferenceSession& session, const DatasetView& dataset) {
  Scored s;
  ASSIGN_OR_RETURN(s.data, internal::LoadDataset(dataset));  // validates the schema's shape first
  RETURN_IF_ERROR(session.CheckDatasetCompatible(dataset.schema, dataset.name));
  const int64_t rows = s.data.features.size(0);
  const float* x = s.data.features.data_ptr<float>();
  const size_t d = session.feature_names().size();
  // Screened like a served row: the same session scores it with the
  // model's detector, in the detector's space.
  ASSIGN_OR_RETURN(InferenceSession::Screened screened,
                   session.PredictScreened({x, static_cast<size_t>(rows) * d}, rows));
  s.probabilities = std::move(screened.probabilities);
  s.ood_scores = std::move(screened.ood_scores);
  const size_t k = session.classes().size();
  s.predicted.resize(static_cast<size_t>(rows));
  for (size_t r = 0; r < static_cast<size_t>(rows); ++r) {
    const float* p = s.probabilities.data() + r * k;
    s.predicted[r] = std::max_element(p, p + k) - p;  // first maximum, like torch.argmax
  }
  return s;
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

namespace internal {

Result<Json> EvaluateWithSession(const InferenceSession& session, const DatasetView& dataset) {
  ASSIGN_OR_RETURN(Scored s, Score(session, dataset));
  const int64_t* labels = s.data.labels.data_ptr<int64_t>();
  std::span<const int64_t> truth(labels, static_cast<size_t>(s.data.labels.numel()));
  ClassificationMetrics m = ComputeClassificationMetrics(
      truth, s.predicted, static_cast<int64_t>(session.classes().size()));
  Json report = MetricsToJson(m, session.classes());
  if (const OodDetector* detector = session.ood_detector(); detector && !s.ood_scores.empty()) {
    // How much of this data the deployed model would flag: on a held-out
    // split of the training distribution, about 1 − quantile.
    const auto flagged = std::count_if(s.ood_scores.begin(), s.ood_scores.end(),
                                       [&](double v) { return v > detector->threshold(); });
    report["out_of_distribution"] = {
        {"space", std::string(FeatureSpaceName(detector->space()))},
        {"threshold", detector->threshold()},
        {"quantile", detector->quantile()},
        {"flagged_rows", flagged},
        {"flagged_rate", static_cast<double>(flagged) / static_cast<double>(s.ood_scores.size())}};
  }
  return report;
}

Result<std::string> PredictWithSession(const InferenceSession& session,
                                       const DatasetView& dataset) {
  ASSIGN_OR_RETURN(Scored s, Score(session, dataset));
  const auto& classes = session.classes();
  std::string out = "row_id,predicted_label";
  for (const auto& c : classes) out += "," + CsvField("prob_" + c);
  const OodDetector* detector = session.ood_detector();
  const bool screened = detector != nullptr && !s.ood_scores.empty();
  if (screened) out += ",ood_score,out_of_distribution";
  out += "\n";
  const int64_t* ids = s.data.row_ids.data_ptr<int64_t>();
  const size_t k = classes.size();
  for (size_t r = 0; r < s.predicted.size(); ++r) {
    out += fmt::format("{},{}", ids[r], CsvField(classes[static_cast<size_t>(s.predicted[r])]));
    for (size_t c = 0; c < k; ++c) out += fmt::format(",{:.6f}", s.probabilities[r * k + c]);
    if (screened) {
      const double score = s.ood_scores[r];
      out += fmt::format(",{:.6g},{}", score, score > detector->threshold() ? 1 : 0);
    }
    out += "\n";
  }
  return out;
}

}  // namespace internal
}  // namespace citadel::ml
