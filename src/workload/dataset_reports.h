// Reports about datasets that the CLI shows: column-level lineage (which
// input columns fed each feature of a dataset or model) and the profile of a
// process step's input.
#pragma once

#include <filesystem>
#include <string>

#include "base/status.h"
#include "base/text/json.h"
#include "workload/workspace.h"

namespace citadel::workload {

// Column lineage of a dataset or model artifact:
//   {"artifact", "kind", "dataset": {"id","name"}, "model": {"id","name"} (models only),
//    "sources": [{"id","name","role"}], "features": [{"name","inputs":[…]}]}
// A model is followed to the dataset it was trained on (its run's input).
// Errors: InvalidArgument for other kinds; NotFound when the producing run or
// its dataset is gone.
Result<Json> ColumnLineage(Workspace& ws, const std::string& artifact_id);

// The stored input profile (profile.json) of a process step, found from its
// report artifact, one of its dataset outputs, or its run. NotFound, with a
// hint, when the step ran with profile: false.
Result<Json> StoredProfile(Workspace& ws, const std::string& artifact_id);

}  // namespace citadel::workload
