// Turns a REF (ARCHITECTURE.md §7) into an artifact id:
//   sha256:<hex prefix>      artifact id or unique prefix ("sha256:" optional
//                            for prefixes of 6+ hex characters)
//   NAME / NAME@ALIAS / NAME:VERSION   registered model (latest / alias / version);
//                            "model:" may prefix these to rule out other readings
//   RUN_ID:ROLE              an output of a run (run id may be a unique prefix)
//   ARTIFACT_NAME            latest artifact with that name ("digits/train.model")
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "catalog/catalog.h"

namespace citadel::workload {

// NotFound names the REF and suggests where to look; InvalidArgument when a
// prefix is ambiguous.
Result<std::string> ResolveArtifactRef(catalog::Catalog& catalog, std::string_view ref);

}  // namespace citadel::workload
