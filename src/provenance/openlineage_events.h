// OpenLineage 2-0-2 run events (https://openlineage.io/spec/2-0-2/
// OpenLineage.json#/$defs/RunEvent) of Citadel runs, for Marquez or any
// other OpenLineage consumer. Pure: plain structs in, JSON out; gathering
// the structs from the catalog is workload/openlineage_export.h. The event
// layout, facets and naming are written down in docs/formats/openlineage.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/text/json.h"

namespace citadel::provenance {

inline constexpr std::string_view kOpenLineageRunEventSchema =
    "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
// Where Citadel's own facets (citadel_run, citadel_edge) are described.
inline constexpr std::string_view kCitadelFacetsSchema =
    "https://citadel.dev/spec/openlineage/1-0-0/CitadelFacets.json";

// One column of a dataset, for the `schema` dataset facet.
struct LineageField {
  std::string name;
  std::string type;         // e.g. "float32"
  std::string description;  // optional
};

// An artifact a run read or wrote, as an OpenLineage dataset.
struct LineageDataset {
  std::string name;        // stable across versions: the artifact name
  std::string version;     // this content: the artifact id ("sha256:…")
  std::string kind;        // Citadel artifact kind: dataset, model, source, …
  std::string role;        // the run's role for it: train, test, model, …
  std::string media_type;  // optional
  uint64_t size = 0;       // bytes of its files
  std::optional<int64_t> rows;
  std::optional<int64_t> files;
  std::vector<LineageField> fields;  // empty → no `schema` facet
};

// Where a run stands; `kNotStarted` runs (queued) have no events.
enum class LineageRunState { kNotStarted, kRunning, kCompleted, kFailed, kAborted };

struct LineageRun {
  std::string id;  // a UUID (Citadel run ids are UUIDv7)
  std::string pipeline;
  std::string step;
  std::string kind;  // step kind: process, train, evaluate, …
  LineageRunState state = LineageRunState::kNotStarted;
  std::string started_at;                  // RFC 3339
  std::optional<std::string> finished_at;  // RFC 3339; absent while running
  std::string message;                     // why a failed run failed
  std::string engine_version;              // the Citadel version that ran it
  std::string git_commit;                  // … and its commit
  std::string spec_digest;
  std::string cache_key;
  std::optional<int64_t> seed;
  std::optional<std::string> cached_from;  // the run whose outputs it reused
  std::vector<LineageDataset> inputs;
  std::vector<LineageDataset> outputs;
};

struct OpenLineageContext {
  std::string job_namespace;      // e.g. "citadel://host/path/to/.citadel"
  std::string dataset_namespace;  // usually the same
  std::string producer;           // URI naming the exporter and its version
  std::string exporter_version;   // Citadel version doing the export
};

// The producer URI of this Citadel build: https://citadel.dev/citadel/<version>.
std::string CitadelProducerUri();

// True for the 8-4-4-4-12 hex form of RFC 9562 UUIDs.
bool IsUuid(std::string_view text);

// A START event at started_at and, for finished runs, one terminal event at
// finished_at (COMPLETE, FAIL with an errorMessage facet, or ABORT) per run,
// all sorted by eventTime (a run's START before its own terminal event, and
// an upstream run's terminal event before a START at the same instant).
// InvalidArgument, naming the run, when a run id is not a UUID, a started
// run has no start time, or a namespace or producer is empty.
Result<std::vector<Json>> OpenLineageRunEvents(const std::vector<LineageRun>& runs,
                                               const OpenLineageContext& context);

}  // namespace citadel::provenance
