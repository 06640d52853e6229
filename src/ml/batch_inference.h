// Batch inference over a dataset artifact: evaluation reports and
// prediction files. Both go through InferenceSession, like serving does.
#pragma once

#include <string>

#include "base/status.h"
#include "base/text/json.h"
#include "ml/dataset_view.h"
#include "ml/inference_session.h"

namespace citadel::ml {

// report.json (docs/formats/report.md): accuracy, macro precision / recall /
// F1, per-class metrics, confusion matrix. FailedPrecondition when the
// dataset does not match the model (features, classes, preprocessing).
Result<Json> EvaluateDataset(const InferenceSession& session, const DatasetView& dataset);

// predictions.csv: header "row_id,predicted_label,prob_<class>…", one line
// per dataset row, probabilities with 6 decimals.
Result<std::string> PredictDataset(const InferenceSession& session, const DatasetView& dataset);

}  // namespace citadel::ml
