#include "provenance/openlineage_events.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <tuple>

#include "base/version.h"

namespace citadel::provenance {
namespace {

// The standard facet schemas this exporter writes, at the versions in
// ../shared/testdata/openlineage/facets (the `_schemaURL` a consumer checks).
constexpr std::string_view kFacetBase = "https://openlineage.io/spec/facets/";
constexpr std::string_view kProcessingEngine = "1-1-1/ProcessingEngineRunFacet.json";
constexpr std::string_view kErrorMessage = "1-0-1/ErrorMessageRunFacet.json";
constexpr std::string_view kJobType = "2-0-4/JobTypeJobFacet.json";
constexpr std::string_view kDatasetVersion = "1-0-1/DatasetVersionDatasetFacet.json";
constexpr std::string_view kDatasetType = "1-0-1/DatasetTypeDatasetFacet.json";
constexpr std::string_view kSchema = "1-2-0/SchemaDatasetFacet.json";
constexpr std::string_view kOutputStatistics = "1-0-2/OutputStatisticsOutputDatasetFacet.json";

// A facet's required base fields; `file` is "<version>/<Name>.json", whose
// definition sits at #/$defs/<Name>.
Json Facet(const OpenLineageContext& context, std::string_view file) {
  std::string_view name = file.substr(file.find('/') + 1);
  name = name.substr(0, name.size() - std::string_view(".json").size());
  return {{"_producer", context.producer},
          {"_schemaURL", fmt::format("{}{}#/$defs/{}", kFacetBase, file, name)}};
}

Json CitadelFacet(const OpenLineageContext& context, std::string_view definition) {
  return {{"_producer", context.producer},
          {"_schemaURL", fmt::format("{}#/$defs/{}", kCitadelFacetsSchema, definition)}};
}

// OpenLineage's dataset types: tables for Citadel's tabular datasets,
// models for models and their checkpoints, files for everything else
// (sources, reports, predictions CSVs).
std::string_view DatasetType(std::string_view kind) {
  if (kind == "dataset") return "TABLE";
  if (kind == "model" || kind == "checkpoint") return "MODEL";
  return "FILE";
}

Json DatasetJson(const LineageDataset& d, const OpenLineageContext& context, bool output) {
  Json facets = Json::object();
  facets["version"] = Facet(context, kDatasetVersion);
  facets["version"]["datasetVersion"] = d.version;
  facets["datasetType"] = Facet(context, kDatasetType);
  facets["datasetType"]["datasetType"] = DatasetType(d.kind);
  facets["datasetType"]["subType"] = d.kind;
  if (!d.fields.empty()) {
    Json fields = Json::array();
    for (size_t i = 0; i < d.fields.size(); ++i) {
      Json field = {{"name", d.fields[i].name}, {"ordinal_position", i + 1}};
      if (!d.fields[i].type.empty()) field["type"] = d.fields[i].type;
      if (!d.fields[i].description.empty()) field["description"] = d.fields[i].description;
      fields.push_back(std::move(field));
    }
    facets["schema"] = Facet(context, kSchema);
    facets["schema"]["fields"] = std::move(fields);
  }
  Json edge = CitadelFacet(context, "CitadelEdgeFacet");
  edge["role"] = d.role;
  edge["artifactKind"] = d.kind;
  if (!d.media_type.empty()) edge["mediaType"] = d.media_type;
  Json json = {{"namespace", context.dataset_namespace}, {"name", d.name}, {"facets", facets}};
  if (output) {
    Json stats = Facet(context, kOutputStatistics);
    stats["size"] = d.size;
    if (d.rows) stats["rowCount"] = *d.rows;
    if (d.files) stats["fileCount"] = *d.files;
    json["outputFacets"] = {{"citadel_edge", edge}, {"outputStatistics", stats}};
  } else {
    json["inputFacets"] = {{"citadel_edge", edge}};
  }
  return json;
}

Json DatasetsJson(const std::vector<LineageDataset>& datasets, const OpenLineageContext& context,
                  bool output) {
  Json list = Json::array();
  for (const LineageDataset& d : datasets) list.push_back(DatasetJson(d, context, output));
  return list;
}

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

Json JobJson(const LineageRun& run, const OpenLineageContext& context) {
  Json job_type = Facet(context, kJobType);
  job_type["processingType"] = "BATCH";
  job_type["integration"] = "CITADEL";
  job_type["jobType"] = Upper(run.kind);
  return {{"namespace", context.job_namespace},
          {"name", fmt::format("{}.{}", run.pipeline, run.step)},
          {"facets", {{"jobType", job_type}}}};
}

Json RunFacets(const LineageRun& run, const OpenLineageContext& context) {
  Json engine = Facet(context, kProcessingEngine);
  engine["name"] = "citadel";
  engine["version"] = run.engine_version.empty() ? context.exporter_version : run.engine_version;
  engine["openlineageAdapterVersion"] = context.exporter_version;
  Json citadel = CitadelFacet(context, "CitadelRunFacet");
  citadel["pipeline"] = run.pipeline;
  citadel["step"] = run.step;
  citadel["stepKind"] = run.kind;
  if (!run.spec_digest.empty()) citadel["specDigest"] = run.spec_digest;
  if (!run.cache_key.empty()) citadel["cacheKey"] = run.cache_key;
  if (run.seed) citadel["seed"] = *run.seed;
  if (!run.git_commit.empty()) citadel["gitCommit"] = run.git_commit;
  // A cached run executed nothing: it stands for the run that did.
  citadel["cached"] = run.cached_from.has_value();
  if (run.cached_from) citadel["cachedFromRunId"] = *run.cached_from;
  return {{"processing_engine", engine}, {"citadel_run", citadel}};
}

struct SortedEvent {
  // eventTime, then the run's own start (an upstream run that started
  // earlier ends before a downstream START at the same instant), then START
  // before the terminal event of the same run, then the run id.
  std::tuple<std::string, std::string, int, std::string> key;
  Json event;
};

Json Event(std::string_view type, const std::string& time, const LineageRun& run,
           const OpenLineageContext& context, Json run_facets) {
  return {{"eventType", type},
          {"eventTime", time},
          {"producer", context.producer},
          {"schemaURL", kOpenLineageRunEventSchema},
          {"run", {{"runId", run.id}, {"facets", std::move(run_facets)}}},
          {"job", JobJson(run, context)}};
}

Status CheckRun(const LineageRun& run) {
  if (!IsUuid(run.id)) {
    return InvalidArgumentError(fmt::format("openlineage: run id '{}' ({}.{}) is not a UUID",
                                            run.id, run.pipeline, run.step));
  }
  if (run.started_at.empty()) {
    return InvalidArgumentError(fmt::format("openlineage: run {} ({}.{}) has no start time", run.id,
                                            run.pipeline, run.step));
  }
  return Status::Ok();
}

}  // namespace

std::string CitadelProducerUri() {
  return fmt::format("https://citadel.dev/citadel/{}", CitadelVersion());
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

Result<std::vector<Json>> OpenLineageRunEvents(const std::vector<LineageRun>& runs,
                                               const OpenLineageContext& context) {
  if (context.job_namespace.empty() || context.dataset_namespace.empty() ||
      context.producer.empty()) {
    return InvalidArgumentError(
        "openlineage: the job and dataset namespaces and the producer "
        "must be set");
  }
  std::vector<SortedEvent> events;
  for (const LineageRun& run : runs) {
    if (run.state == LineageRunState::kNotStarted) continue;
    RETURN_IF_ERROR(CheckRun(run));
    const bool finished = run.state != LineageRunState::kRunning;
    Json start = Event("START", run.started_at, run, context, RunFacets(run, context));
    start["inputs"] = DatasetsJson(run.inputs, context, false);
    // A running run has no later event to carry what it has written so far.
    start["outputs"] =
        DatasetsJson(finished ? std::vector<LineageDataset>{} : run.outputs, context, true);
    events.push_back({{run.started_at, run.started_at, 0, run.id}, std::move(start)});
    if (!finished) continue;

    Json facets = RunFacets(run, context);
    std::string_view type = "COMPLETE";
    if (run.state == LineageRunState::kFailed) {
      type = "FAIL";
      facets["errorMessage"] = Facet(context, kErrorMessage);
      facets["errorMessage"]["message"] =
          run.message.empty() ? "the run failed without a message" : run.message;
      facets["errorMessage"]["programmingLanguage"] = "C++";
    } else if (run.state == LineageRunState::kAborted) {
      type = "ABORT";
    }
    // A run recorded as finished without a finish time ends where it began.
    const std::string& end = run.finished_at.value_or(run.started_at);
    Json terminal = Event(type, end, run, context, std::move(facets));
    terminal["inputs"] = DatasetsJson(run.inputs, context, false);
    terminal["outputs"] = DatasetsJson(run.outputs, context, true);
    events.push_back({{end, run.started_at, 1, run.id}, std::move(terminal)});
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const SortedEvent& a, const SortedEvent& b) { return a.key < b.key; });
  std::vector<Json> out;
  out.reserve(events.size());
  for (SortedEvent& e : events) out.push_back(std::move(e.event));
  return out;
}

}  // namespace citadel::provenance
