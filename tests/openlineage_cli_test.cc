// `citadel lineage REF --openlineage` as a user meets it: the run events of
// the real digits pipeline, every one validated by a peer (Python's
// jsonschema against OpenLineage 2-0-2 and the facet schemas in
// ../shared/testdata/openlineage), START paired with COMPLETE or FAIL, the
// datasets matching the catalog's edges, cached re-runs naming the run they
// reused, and a failing step's error carried in its FAIL event.
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/system/files.h"
#include "cli_runner.h"

namespace citadel::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kSchemas = "../shared/testdata/openlineage";

// The peer check of an NDJSON export: each line one RunEvent valid against
// OpenLineage.json (formats date-time and uuid checked) and each standard
// facet against its own schema, resolved through a store of the schemas'
// $ids; Citadel's own facets carry the base facet fields; URIs have a
// scheme; events sorted by eventTime; per run exactly one START, first, and
// at most one terminal event after it.
constexpr const char* kPeerCheck = R"PY(
import json, sys, urllib.parse, uuid
import jsonschema
base, events_path = sys.argv[1:3]
def load(path):
    return json.load(open(path))
core = load(f"{base}/OpenLineage.json")
facet_defs = {"processing_engine": "ProcessingEngineRunFacet",
              "errorMessage": "ErrorMessageRunFacet", "jobType": "JobTypeJobFacet",
              "version": "DatasetVersionDatasetFacet", "datasetType": "DatasetTypeDatasetFacet",
              "schema": "SchemaDatasetFacet",
              "outputStatistics": "OutputStatisticsOutputDatasetFacet"}
facets = {key: load(f"{base}/facets/{name}.json") for key, name in facet_defs.items()}
store = {core["$id"]: core, **{s["$id"]: s for s in facets.values()}}
checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
def validate(instance, schema):
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    jsonschema.Draft202012Validator(schema, resolver=resolver,
                                    format_checker=checker).validate(instance)
def uri(text):
    parsed = urllib.parse.urlparse(text)
    assert parsed.scheme and (parsed.netloc or parsed.path), text
used = set()
def check_facets(container, where):
    for key, facet in container.items():
        used.add(key)
        uri(facet["_producer"])
        uri(facet["_schemaURL"])
        if key in ("citadel_run", "citadel_edge"):
            validate(facet, {"$ref": core["$id"] + "#/$defs/BaseFacet"})
            assert facet["_schemaURL"].startswith("https://citadel.dev/spec/openlineage/"), facet
            continue
        assert key in facets, f"{where}: facet {key} is not one this check knows"
        validate({key: facet}, facets[key])
        assert facet["_schemaURL"] == f'{facets[key]["$id"]}#/$defs/{facet_defs[key]}', facet
lines = open(events_path).read().splitlines()
assert lines, "no events"
events = [json.loads(line) for line in lines]
run_event = {"$ref": core["$id"] + "#/$defs/RunEvent"}
for e in events:
    validate(e, core)
    validate(e, run_event)
    assert e["schemaURL"] == "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
    uri(e["producer"])
    assert uuid.UUID(e["run"]["runId"]).version == 7, e["run"]["runId"]
    check_facets(e["run"].get("facets", {}), "run")
    check_facets(e["job"].get("facets", {}), "job")
    for d in e.get("inputs", []) + e.get("outputs", []):
        check_facets(d.get("facets", {}), "dataset " + d["name"])
    for d in e.get("inputs", []):
        check_facets(d.get("inputFacets", {}), "input " + d["name"])
    for d in e.get("outputs", []):
        check_facets(d.get("outputFacets", {}), "output " + d["name"])
times = [e["eventTime"] for e in events]
assert times == sorted(times), times
by_run = {}
for e in events:
    by_run.setdefault(e["run"]["runId"], []).append(e["eventType"])
for run, types in by_run.items():
    assert types[0] == "START" and types.count("START") == 1, (run, types)
    assert len(types) <= 2, (run, types)
    assert all(t in ("COMPLETE", "FAIL", "ABORT") for t in types[1:]), (run, types)
print("peer ok", len(events), "events", len(by_run), "runs", "facets:", ",".join(sorted(used)))
)PY";

class OpenLineageExport : public DigitsWorkspaceTest {
 protected:
  void SetUp() override {
    DigitsWorkspaceTest::SetUp();
    // Fewer epochs: the events do not depend on how well the model learns.
    std::string spec = ReadFile(spec_).value();
    WriteFileAtomic(spec_, ReplaceOnce(spec, "epochs: 30", "epochs: 2")).IgnoreError();
  }

  // `citadel run` → step name → its JSON (run_id, outputs, …).
  std::map<std::string, Json> RunDigits(int expected_exit = 0) {
    CliResult r = Citadel({"run", spec_.string(), "--json"});
    EXPECT_EQ(r.exit_code, expected_exit) << r.err;
    std::map<std::string, Json> steps;
    const Json run = Json::parse(r.out);
    for (const Json& s : run["steps"]) steps[s["name"].get<std::string>()] = s;
    return steps;
  }

  // The events, one per line; the raw text goes to the peer check.
  std::vector<Json> Export(std::vector<std::string> args, std::string* raw = nullptr) {
    args.insert(args.begin(), "lineage");
    args.push_back("--openlineage");
    CliResult r = Citadel(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<Json> events;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) events.push_back(Json::parse(line));
    if (raw != nullptr) *raw = r.out;
    return events;
  }

  void PeerCheck(const std::string& ndjson) {
    std::ofstream(tmp_ / "peer.py") << kPeerCheck;
    std::ofstream(tmp_ / "events.ndjson") << ndjson;
    auto [rc, out] = Shell("/usr/bin/python3 " + (tmp_ / "peer.py").string() + " " +
                           kSchemas.string() + " " + (tmp_ / "events.ndjson").string());
    EXPECT_EQ(rc, 0) << out;
    EXPECT_NE(out.find("peer ok"), std::string::npos) << out;
  }

  // run id → its events in order.
  static std::map<std::string, std::vector<Json>> ByRun(const std::vector<Json>& events) {
    std::map<std::string, std::vector<Json>> runs;
    for (const Json& e : events) runs[e["run"]["runId"].get<std::string>()].push_back(e);
    return runs;
  }

  // {(role, artifact id)} of an event's inputs or outputs, and of the
  // catalog's edges as `runs show --json` lists them.
  using Edges = std::set<std::pair<std::string, std::string>>;
  static Edges EventEdges(const Json& event, const char* side) {
    Edges edges;
    const char* facets = std::string(side) == "inputs" ? "inputFacets" : "outputFacets";
    for (const Json& d : event[side]) {
      edges.emplace(d[facets]["citadel_edge"]["role"], d["facets"]["version"]["datasetVersion"]);
    }
    return edges;
  }
  Edges CatalogEdges(const std::string& run_id, const char* side) {
    Edges edges;
    const Json run = CitadelJson({"runs", "show", run_id, "--json"});
    for (const Json& e : run[side]) {
      edges.emplace(e["role"], e["artifact"]);
    }
    return edges;
  }
};

TEST_F(OpenLineageExport, EveryRunUpstreamOfAnArtifactStartsAndCompletesWithTheCatalogsEdges) {
  std::map<std::string, Json> first = RunDigits();
  std::map<std::string, Json> again = RunDigits();  // every step a cache hit
  const std::string predictions = first["predict"]["outputs"]["predictions"];
  std::string raw;
  std::vector<Json> events = Export({predictions, "--up"}, &raw);
  PeerCheck(raw);

  // prepare → train → predict made the predictions; evaluate and register
  // are not upstream of them. Their cached re-runs are reported too.
  auto runs = ByRun(events);
  std::set<std::string> expected;
  for (const char* step : {"prepare", "train", "predict"}) {
    expected.insert(first[step]["run_id"].get<std::string>());
    expected.insert(again[step]["run_id"].get<std::string>());
  }
  std::set<std::string> got;
  for (const auto& [id, run_events] : runs) got.insert(id);
  EXPECT_EQ(got, expected);
  ASSERT_EQ(events.size(), 2 * expected.size());

  for (const char* step : {"prepare", "train", "predict"}) {
    SCOPED_TRACE(step);
    const std::string id = first[step]["run_id"];
    const std::vector<Json>& pair = runs[id];
    ASSERT_EQ(pair.size(), 2u);
    EXPECT_EQ(pair[0]["eventType"], "START");
    EXPECT_EQ(pair[1]["eventType"], "COMPLETE");
    Json shown = CitadelJson({"runs", "show", id, "--json"});
    EXPECT_EQ(pair[1]["eventTime"], shown["finished_at"]);
    EXPECT_EQ(pair[0]["eventTime"], shown["started_at"]);
    EXPECT_EQ(pair[1]["job"]["name"], std::string("digits.") + step);
    EXPECT_EQ(pair[1]["run"]["facets"]["citadel_run"]["cached"], false);
    // Every edge the catalog records, outputs outside the graph included
    // (prepare's test split and profile).
    EXPECT_EQ(EventEdges(pair[1], "inputs"), CatalogEdges(id, "inputs"));
    EXPECT_EQ(EventEdges(pair[1], "outputs"), CatalogEdges(id, "outputs"));
    EXPECT_EQ(EventEdges(pair[0], "inputs"), CatalogEdges(id, "inputs"));
    EXPECT_TRUE(pair[0]["outputs"].empty());
    // Datasets are named as the catalog names the artifacts.
    for (const Json& d : pair[1]["outputs"]) {
      Json artifact =
          CitadelJson({"artifacts", "show", d["facets"]["version"]["datasetVersion"], "--json"});
      EXPECT_EQ(d["name"], artifact["name"]);
      EXPECT_EQ(d["namespace"], pair[1]["job"]["namespace"]);
    }
    // The cached re-run stands for this run and says so.
    const std::vector<Json>& cached = runs[again[step]["run_id"].get<std::string>()];
    ASSERT_EQ(cached.size(), 2u);
    EXPECT_EQ(cached[1]["eventType"], "COMPLETE");
    EXPECT_EQ(cached[1]["run"]["facets"]["citadel_run"]["cached"], true);
    EXPECT_EQ(cached[1]["run"]["facets"]["citadel_run"]["cachedFromRunId"], id);
    EXPECT_EQ(EventEdges(cached[1], "outputs"), EventEdges(pair[1], "outputs"));
  }

  // The namespace names this workspace.
  const std::string ns = events[0]["job"]["namespace"];
  EXPECT_EQ(ns.rfind("citadel://", 0), 0u) << ns;
  EXPECT_NE(ns.find(fs::weakly_canonical(home_).string()), std::string::npos) << ns;

  // The train split carries its columns and row count.
  const Json& prepare_done = runs[first["prepare"]["run_id"].get<std::string>()][1];
  bool train_seen = false;
  for (const Json& d : prepare_done["outputs"]) {
    if (d["outputFacets"]["citadel_edge"]["role"] != "train") continue;
    train_seen = true;
    EXPECT_EQ(d["name"], "digits/prepare.train");
    EXPECT_EQ(d["facets"]["datasetType"]["datasetType"], "TABLE");
    const Json& fields = d["facets"]["schema"]["fields"];
    ASSERT_EQ(fields.size(), 65u);  // 64 pixel features + the label
    EXPECT_EQ(fields[0]["type"], "float32");
    EXPECT_EQ(fields[64]["name"], "col_64");
    EXPECT_EQ(fields[64]["type"], "int64");
    EXPECT_EQ(d["outputFacets"]["outputStatistics"]["rowCount"],
              first["prepare"]["metrics"]["train_rows"].get<int64_t>());
  }
  EXPECT_TRUE(train_seen);
}

TEST_F(OpenLineageExport, DownstreamOfTheSourceWithAChosenNamespace) {
  std::map<std::string, Json> steps = RunDigits();
  const Json prepare = CitadelJson({"runs", "show", steps["prepare"]["run_id"], "--json"});
  const std::string source = prepare["inputs"][0]["artifact"];
  std::string raw;
  std::vector<Json> events = Export({source, "--down", "--namespace", "marquez-demo"}, &raw);
  PeerCheck(raw);
  auto runs = ByRun(events);
  EXPECT_EQ(runs.size(), steps.size());  // every step consumed the source's descendants
  for (const auto& [name, step] : steps) {
    SCOPED_TRACE(name);
    const std::vector<Json>& pair = runs[step["run_id"].get<std::string>()];
    ASSERT_EQ(pair.size(), 2u);
    EXPECT_EQ(pair[1]["eventType"], "COMPLETE");
    EXPECT_EQ(pair[1]["job"]["namespace"], "marquez-demo");
    EXPECT_EQ(pair[1]["job"]["facets"]["jobType"]["jobType"], [&] {
      std::string kind = step["kind"];
      for (char& c : kind) c = static_cast<char>(std::toupper(c));
      return kind;
    }());
    for (const Json& d : pair[1]["inputs"]) EXPECT_EQ(d["namespace"], "marquez-demo");
  }
}

TEST_F(OpenLineageExport, AFailingStepEndsInAFailEventCarryingItsError) {
  // A validation gate the digits data cannot meet: prepare fails.
  std::string spec = ReadFile(spec_).value();
  WriteFileAtomic(spec_,
                  ReplaceOnce(spec, "row_count: { min: 1000 }", "row_count: { min: 100000 }"))
      .IgnoreError();
  std::map<std::string, Json> steps = RunDigits(1);
  ASSERT_TRUE(steps.count("prepare"));
  const std::string run_id = steps["prepare"]["run_id"];
  const Json shown = CitadelJson({"runs", "show", run_id, "--json"});
  ASSERT_EQ(shown["status"], "failed");
  ASSERT_FALSE(shown["inputs"].empty());
  const std::string source = shown["inputs"][0]["artifact"];

  std::string raw;
  std::vector<Json> events = Export({source, "--down"}, &raw);
  PeerCheck(raw);
  auto runs = ByRun(events);
  ASSERT_EQ(runs.size(), 1u);
  const std::vector<Json>& pair = runs[run_id];
  ASSERT_EQ(pair.size(), 2u);
  EXPECT_EQ(pair[0]["eventType"], "START");
  EXPECT_EQ(pair[1]["eventType"], "FAIL");
  EXPECT_EQ(pair[1]["eventTime"], shown["finished_at"]);
  const Json& error = pair[1]["run"]["facets"]["errorMessage"];
  EXPECT_EQ(error["message"], shown["message"]);
  EXPECT_NE(error["message"].get<std::string>().find("row_count"), std::string::npos)
      << error.dump();
  EXPECT_EQ(EventEdges(pair[1], "inputs"), CatalogEdges(run_id, "inputs"));
  EXPECT_TRUE(pair[1]["outputs"].empty());
}

TEST_F(OpenLineageExport, OtherFormatsAndUnknownRefsAreRefused) {
  CliResult both = Citadel({"lineage", "sha256:00", "--openlineage", "--dot"});
  EXPECT_EQ(both.exit_code, 2) << both.err;
  CliResult json = Citadel({"lineage", "sha256:00", "--openlineage", "--json"});
  EXPECT_EQ(json.exit_code, 2) << json.err;
  CliResult ns = Citadel({"lineage", "sha256:00", "--namespace", "x"});
  EXPECT_EQ(ns.exit_code, 2) << ns.err;

  CliResult unknown = Citadel({"lineage", "sha256:0123456789abcdef", "--openlineage"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_TRUE(unknown.out.empty()) << unknown.out;
  EXPECT_NE(unknown.err.find("0123456789abcdef"), std::string::npos) << unknown.err;
}

}  // namespace
}  // namespace citadel::testing
