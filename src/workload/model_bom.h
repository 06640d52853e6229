// Gathers a model's AI-BOM from the workspace (provenance/cyclonedx_bom.h):
// the model's files and model.json (task, architecture, inputs, outputs,
// training parameters), its registry version, the datasets and source
// files upstream of it (walking the runs that produced them; PII found by
// the process step that read a source), the metrics of the evaluate runs
// that used it, the libraries of its training run's environment, its
// signature and provenance-chain verdicts and a scan of its files.
#pragma once

#include <string>

#include "base/status.h"
#include "base/text/json.h"
#include "provenance/signed_statement.h"
#include "workload/workspace.h"

namespace citadel::workload {

// The CycloneDX 1.6 BOM of the model (or imported file) `artifact_id`;
// signatures and attestations are checked against `anchors`.
// InvalidArgument for an artifact that is not a model.
Result<Json> ModelBom(Workspace& ws, const std::string& artifact_id,
                      const provenance::TrustAnchors& anchors);

}  // namespace citadel::workload
