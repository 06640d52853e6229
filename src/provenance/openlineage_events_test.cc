#include "provenance/openlineage_events.h"

#include <gtest/gtest.h>

namespace citadel::provenance {
namespace {

const OpenLineageContext kContext = {"citadel://host/ws", "citadel://host/ws",
                                     "https://citadel.dev/citadel/9.9.9", "9.9.9"};

LineageDataset Dataset(std::string name, std::string role, std::string kind) {
  LineageDataset d;
  d.name = std::move(name);
  d.version = "sha256:" + std::string(64, 'a');
  d.kind = std::move(kind);
  d.role = std::move(role);
  d.size = 1234;
  return d;
}

LineageRun MakeRun(std::string id, std::string step, LineageRunState state, std::string start,
                   std::optional<std::string> end) {
  LineageRun r;
  r.id = std::move(id);
  r.pipeline = "digits";
  r.step = std::move(step);
  r.kind = "train";
  r.state = state;
  r.started_at = std::move(start);
  r.finished_at = std::move(end);
  r.engine_version = "0.1.0";
  return r;
}

constexpr const char* kRunA = "01a2182c-195e-7368-93b6-44d02562405b";
constexpr const char* kRunB = "01a2182c-2087-7790-a794-bd86c4e123e4";

std::vector<Json> Events(const std::vector<LineageRun>& runs) {
  auto events = OpenLineageRunEvents(runs, kContext);
  EXPECT_TRUE(events.ok()) << events.status().ToString();
  return events.ok() ? *events : std::vector<Json>{};
}

TEST(OpenLineageEvents, ASucceededRunHasAStartAndACompleteEventWithTheRequiredFields) {
  LineageRun run = MakeRun(kRunA, "train", LineageRunState::kCompleted, "2026-11-26T10:00:00.000Z",
                           "2026-11-26T10:00:05.000Z");
  run.inputs.push_back(Dataset("digits/prepare.train", "train", "dataset"));
  run.outputs.push_back(Dataset("digits/train.model", "model", "model"));
  std::vector<Json> events = Events({run});
  ASSERT_EQ(events.size(), 2u);
  const Json& start = events[0];
  const Json& done = events[1];
  EXPECT_EQ(start["eventType"], "START");
  EXPECT_EQ(start["eventTime"], "2026-11-26T10:00:00.000Z");
  EXPECT_EQ(done["eventType"], "COMPLETE");
  EXPECT_EQ(done["eventTime"], "2026-11-26T10:00:05.000Z");
  for (const Json& e : events) {
    EXPECT_EQ(e["producer"], "https://citadel.dev/citadel/9.9.9");
    EXPECT_EQ(e["schemaURL"], "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent");
    EXPECT_EQ(e["run"]["runId"], kRunA);
    EXPECT_EQ(e["job"]["namespace"], "citadel://host/ws");
    EXPECT_EQ(e["job"]["name"], "digits.train");
    EXPECT_EQ(e["job"]["facets"]["jobType"]["processingType"], "BATCH");
    EXPECT_EQ(e["job"]["facets"]["jobType"]["jobType"], "TRAIN");
    EXPECT_EQ(e["run"]["facets"]["processing_engine"]["version"], "0.1.0");
    EXPECT_EQ(e["run"]["facets"]["processing_engine"]["openlineageAdapterVersion"], "9.9.9");
    EXPECT_FALSE(e["run"]["facets"].contains("errorMessage"));
    ASSERT_EQ(e["inputs"].size(), 1u);
    EXPECT_EQ(e["inputs"][0]["name"], "digits/prepare.train");
    EXPECT_EQ(e["inputs"][0]["facets"]["datasetType"]["datasetType"], "TABLE");
    EXPECT_EQ(e["inputs"][0]["inputFacets"]["citadel_edge"]["role"], "train");
  }
  // Outputs belong to the event that ends the run.
  EXPECT_TRUE(start["outputs"].empty());
  ASSERT_EQ(done["outputs"].size(), 1u);
  const Json& model = done["outputs"][0];
  EXPECT_EQ(model["namespace"], "citadel://host/ws");
  EXPECT_EQ(model["facets"]["version"]["datasetVersion"], "sha256:" + std::string(64, 'a'));
  EXPECT_EQ(model["facets"]["datasetType"]["datasetType"], "MODEL");
  EXPECT_EQ(model["outputFacets"]["outputStatistics"]["size"], 1234);
  EXPECT_EQ(model["facets"]["version"]["_schemaURL"],
            "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/"
            "DatasetVersionDatasetFacet");
}

TEST(OpenLineageEvents, AFailedRunEndsInAFailEventCarryingItsMessage) {
  LineageRun run = MakeRun(kRunA, "prepare", LineageRunState::kFailed, "2026-11-26T10:00:00.000Z",
                           "2026-11-26T10:00:01.000Z");
  run.message = "expectation row_count failed: 1797 rows < 100000";
  std::vector<Json> events = Events({run});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["eventType"], "FAIL");
  const Json& error = events[1]["run"]["facets"]["errorMessage"];
  EXPECT_EQ(error["message"], run.message);
  EXPECT_EQ(error["programmingLanguage"], "C++");
  EXPECT_EQ(error["_schemaURL"],
            "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/"
            "ErrorMessageRunFacet");
  EXPECT_FALSE(events[0]["run"]["facets"].contains("errorMessage"));
}

TEST(OpenLineageEvents, CancelledRunsAbortRunningRunsOnlyStartAndQueuedRunsAreLeftOut) {
  LineageRun cancelled = MakeRun(kRunA, "train", LineageRunState::kAborted,
                                 "2026-11-26T10:00:00.000Z", "2026-11-26T10:00:02.000Z");
  LineageRun running =
      MakeRun(kRunB, "train", LineageRunState::kRunning, "2026-11-26T10:00:03.000Z", std::nullopt);
  running.outputs.push_back(Dataset("digits/train.checkpoint", "checkpoint", "checkpoint"));
  LineageRun queued = MakeRun("01a2182c-2101-7267-a8b6-81fd6701c522", "evaluate",
                              LineageRunState::kNotStarted, "", std::nullopt);
  std::vector<Json> events = Events({cancelled, running, queued});
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1]["eventType"], "ABORT");
  EXPECT_EQ(events[2]["eventType"], "START");
  EXPECT_EQ(events[2]["run"]["runId"], kRunB);
  // What a running run has written so far has no other event to go in.
  ASSERT_EQ(events[2]["outputs"].size(), 1u);
  EXPECT_EQ(events[2]["outputs"][0]["facets"]["datasetType"]["datasetType"], "MODEL");
}

TEST(OpenLineageEvents, EventsAreSortedByTimeWithUpstreamEndsBeforeDownstreamStarts) {
  // Downstream listed first; it starts the millisecond its upstream ends.
  LineageRun down = MakeRun(kRunB, "train", LineageRunState::kCompleted, "2026-11-26T10:00:01.000Z",
                            "2026-11-26T10:00:01.000Z");
  LineageRun up = MakeRun(kRunA, "prepare", LineageRunState::kCompleted, "2026-11-26T10:00:00.000Z",
                          "2026-11-26T10:00:01.000Z");
  std::vector<Json> events = Events({down, up});
  ASSERT_EQ(events.size(), 4u);
  std::vector<std::pair<std::string, std::string>> order;
  for (const Json& e : events) order.emplace_back(e["run"]["runId"], e["eventType"]);
  EXPECT_EQ(order,
            (std::vector<std::pair<std::string, std::string>>{
                {kRunA, "START"}, {kRunA, "COMPLETE"}, {kRunB, "START"}, {kRunB, "COMPLETE"}}));
}

TEST(OpenLineageEvents, ACachedRunNamesTheRunWhoseOutputsItReused) {
  LineageRun cached = MakeRun(kRunB, "train", LineageRunState::kCompleted,
                              "2026-11-26T10:00:09.000Z", "2026-11-26T10:00:09.000Z");
  cached.cached_from = kRunA;
  cached.outputs.push_back(Dataset("digits/train.model", "model", "model"));
  std::vector<Json> events = Events({cached});
  ASSERT_EQ(events.size(), 2u);
  const Json& facet = events[1]["run"]["facets"]["citadel_run"];
  EXPECT_EQ(facet["cached"], true);
  EXPECT_EQ(facet["cachedFromRunId"], kRunA);
  EXPECT_EQ(facet["_schemaURL"],
            "https://citadel.dev/spec/openlineage/1-0-0/CitadelFacets.json#/$defs/"
            "CitadelRunFacet");
  // Same content, same dataset version as the original run's output.
  EXPECT_EQ(events[1]["outputs"][0]["facets"]["version"]["datasetVersion"],
            cached.outputs[0].version);
}

TEST(OpenLineageEvents, DatasetColumnsBecomeASchemaFacetInOrder) {
  LineageRun run = MakeRun(kRunA, "prepare", LineageRunState::kCompleted,
                           "2026-11-26T10:00:00.000Z", "2026-11-26T10:00:01.000Z");
  LineageDataset d = Dataset("digits/prepare.train", "train", "dataset");
  d.rows = 1438;
  d.files = 2;
  d.fields = {{"col_0", "float32", ""}, {"col_64", "int64", "class label"}};
  run.outputs.push_back(d);
  std::vector<Json> events = Events({run});
  const Json& out = events[1]["outputs"][0];
  const Json& fields = out["facets"]["schema"]["fields"];
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0], (Json{{"name", "col_0"}, {"type", "float32"}, {"ordinal_position", 1}}));
  EXPECT_EQ(fields[1]["description"], "class label");
  EXPECT_EQ(fields[1]["ordinal_position"], 2);
  EXPECT_EQ(out["outputFacets"]["outputStatistics"]["rowCount"], 1438);
  EXPECT_EQ(out["outputFacets"]["outputStatistics"]["fileCount"], 2);
  // Without columns there is no schema facet (an empty one would claim "no columns").
  run.outputs[0].fields.clear();
  EXPECT_FALSE(Events({run})[1]["outputs"][0]["facets"].contains("schema"));
}

TEST(OpenLineageEvents, RejectsRunIdsThatAreNotUuidsAndMissingNamespaces) {
  LineageRun run = MakeRun("run-1", "train", LineageRunState::kCompleted,
                           "2026-11-26T10:00:00.000Z", "2026-11-26T10:00:01.000Z");
  auto events = OpenLineageRunEvents({run}, kContext);
  ASSERT_FALSE(events.ok());
  EXPECT_NE(events.status().message().find("run-1"), std::string::npos);
  EXPECT_NE(events.status().message().find("not a UUID"), std::string::npos);

  run.id = kRunA;
  run.started_at.clear();
  EXPECT_FALSE(OpenLineageRunEvents({run}, kContext).ok());

  OpenLineageContext no_namespace = kContext;
  no_namespace.job_namespace.clear();
  run.started_at = "2026-11-26T10:00:00.000Z";
  EXPECT_FALSE(OpenLineageRunEvents({run}, no_namespace).ok());
}

TEST(OpenLineageEvents, RecognisesUuidText) {
  EXPECT_TRUE(IsUuid(kRunA));
  EXPECT_TRUE(IsUuid("01A2182C-195E-7368-93B6-44D02562405B"));
  EXPECT_FALSE(IsUuid("01a2182c195e736893b644d02562405b"));
  EXPECT_FALSE(IsUuid("01a2182c-195e-7368-93b6-44d02562405g"));
  EXPECT_FALSE(IsUuid(""));
  EXPECT_EQ(CitadelProducerUri().rfind("https://citadel.dev/citadel/", 0), 0u);
}

}  // namespace
}  // namespace citadel::provenance
