// The catalog side of `citadel lineage REF --openlineage`: the runs of an
// artifact's lineage graph, each with every input and output the catalog
// records for it, plus the cached runs that reused their outputs, turned
// into provenance/openlineage_events.h structs and then into OpenLineage run
// events. Names and facets: docs/formats/openlineage.md.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"
#include "catalog/records.h"
#include "workload/workspace.h"

namespace citadel::workload {

// "citadel://<host><absolute workspace root>": one namespace per workspace,
// for its jobs and its datasets alike, so that two projects' "digits.train"
// jobs (or two machines' workspaces at the same path) stay apart in Marquez.
std::string DefaultOpenLineageNamespace(const Workspace& ws);

// Events of the runs in the lineage of `artifact_id` in `direction`, sorted
// by eventTime. `lineage_namespace` empty → DefaultOpenLineageNamespace.
// Errors: NotFound for an unknown artifact; DataLoss when a dataset's
// schema.json cannot be read back intact from the blob store.
Result<std::vector<Json>> OpenLineageEvents(Workspace& ws, const std::string& artifact_id,
                                            catalog::LineageDirection direction,
                                            const std::string& lineage_namespace);

}  // namespace citadel::workload
